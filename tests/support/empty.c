/* Keeps the test-support library non-empty before helpers exist. */
typedef int kw_test_support_empty;
