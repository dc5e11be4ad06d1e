/* libFuzzer target for the strict JSON decoder and scanner (kw/json/json.h):
 * every input goes through kw_json_decode, kw_json_scan and jansson's
 * json_loadb; any disagreement on accept/reject, values, key order or error
 * positions aborts (the comparison is the unit tests' oracle). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The oracle is test support code; the fuzz build has no test library. */
#include "../tests/support/json_oracle.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[512];
    if (kw_json_oracle_check((const char *)data, size, why, sizeof why) != 0) {
        fprintf(stderr, "kw_json disagrees with json_loadb: %s\n", why);
        abort();
    }
    return 0;
}
