# Writes OUT, the man page kopia-webhook(1), from the binary's own help
# texts (the top-level usage and every command's --help), so the page and
# the program cannot disagree. Run by the build (target kw-man) with
# -DBIN=<kopia-webhook> -DOUT=<kopia-webhook.1>. The date in the header is
# the build date `kopia-webhook version --output json` prints.

# Roff-safe text: backslashes escaped, and a line that starts with a dot or
# a quote protected, so help text never turns into a roff request.
function(roff_escape in out)
  string(REPLACE "\\" "\\e" text "${in}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

function(help_of out)
  execute_process(COMMAND ${BIN} ${ARGN} OUTPUT_VARIABLE text RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT text)
    message(FATAL_ERROR "man page: `kopia-webhook ${ARGN}` failed (${rc})")
  endif()
  roff_escape("${text}" text)
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

execute_process(COMMAND ${BIN} version --output json OUTPUT_VARIABLE version_json RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "man page: `kopia-webhook version` failed")
endif()
string(JSON version GET "${version_json}" version)
string(JSON date GET "${version_json}" buildDate)
string(SUBSTRING "${date}" 0 10 day)

help_of(top --help)
set(page ".\\\" kopia-webhook(1), generated from the program's help texts by cmake/man-page.cmake.
.TH KOPIA-WEBHOOK 1 \"${day}\" \"kopia-webhook ${version}\" \"User Commands\"
.SH NAME
kopia-webhook \\- admission webhook and offline checker for VolSync Kopia backups
.SH SYNOPSIS
.B kopia-webhook
.I command
.RI [ flags ]
.SH DESCRIPTION
kopia-webhook validates and defaults VolSync's Kopia ReplicationSource,
ReplicationDestination and KopiaMaintenance objects, and Kopia policy
ConfigMaps and Secrets: as a Kubernetes admission webhook
.RB ( serve ),
offline on manifests for CI pipelines
.RB ( check ),
or for one AdmissionReview
.RB ( review ).
Each command's section below is its
.B \\-\\-help
text.
.PP
.nf
${top}.fi
.SH COMMANDS
")
foreach(command serve check review gen-certs version completion)
  help_of(text ${command} --help)
  string(APPEND page ".SS kopia-webhook ${command}\n.nf\n${text}.fi\n")
endforeach()
string(APPEND page ".SH FILES
.TP
.I /etc/kopia-webhook/config.yaml
the configuration file the container image and the manifests use
.RB ( serve \\-\\-config );
its keys are described in docs/config.md.
.SH SEE ALSO
The documentation in the source tree: README.md, docs/cli.md, docs/ci.md,
docs/config.md, docs/deployment.md, docs/operations.md, docs/rules.md.
")
file(WRITE "${OUT}.tmp" "${page}")
file(RENAME "${OUT}.tmp" "${OUT}")
