# The include rule of the layered tree (docs/architecture.md): every folder
# of validators/ is a layer, with its interface headers in include/kw/<layer>/,
# and server/ (include/kw/server/) is the shell on top. Each layer's README.md
# has one line `Includes: a, b` naming the layers it may include besides
# itself; that line is the only statement of the rule. A file may include
# "kw/<layer>/x.h" only for its own layer or a listed one, and a bare "x.h"
# only when x.h sits in the same folder. Fails (FATAL_ERROR) listing every
# violation. Run at configure time by CMakeLists.txt and by the test
# tests/scripts/test_layers.sh, as:
#   cmake -DROOT=<tree> -P cmake/check-layers.cmake
if(NOT ROOT)
  message(FATAL_ERROR "check-layers: pass -DROOT=<source tree>")
endif()

# Layers and what each may include, from the READMEs.
file(GLOB layer_readmes ${ROOT}/validators/*/README.md ${ROOT}/server/README.md)
set(layers "")
foreach(readme ${layer_readmes})
  get_filename_component(dir ${readme} DIRECTORY)
  get_filename_component(layer ${dir} NAME)
  file(STRINGS ${readme} line REGEX "^Includes: ")
  if(NOT line)
    message(FATAL_ERROR "check-layers: ${readme} has no 'Includes: ...' line")
  endif()
  string(REGEX REPLACE "^Includes: *" "" line "${line}")
  string(REGEX REPLACE "[`.]" "" line "${line}")
  string(REGEX REPLACE "[ ,]+" ";" allowed "${line}")
  list(REMOVE_ITEM allowed "" "nothing")
  list(APPEND allowed ${layer})
  set(allowed_${layer} ${allowed})
  list(APPEND layers ${layer})
endforeach()

# Every source and header belongs to exactly one layer.
file(GLOB_RECURSE sources ${ROOT}/validators/*.c ${ROOT}/validators/*.h ${ROOT}/include/kw/*.h
     ${ROOT}/server/*.c ${ROOT}/server/*.h)
set(errors "")
foreach(f ${sources})
  file(RELATIVE_PATH rel ${ROOT} ${f})
  if(rel MATCHES "^(validators|include/kw)/([^/]+)/")
    set(layer ${CMAKE_MATCH_2})
  elseif(rel MATCHES "^server/")
    set(layer server)
  else()
    string(APPEND errors "\n  ${rel}: not inside a layer folder")
    continue()
  endif()
  list(FIND layers ${layer} known)
  if(known EQUAL -1)
    string(APPEND errors "\n  ${rel}: folder '${layer}' is not a layer (no README.md with 'Includes:')")
    continue()
  endif()
  get_filename_component(dir ${f} DIRECTORY)
  file(STRINGS ${f} includes REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
  foreach(inc ${includes})
    string(REGEX REPLACE "^[^\"]*\"([^\"]+)\".*" "\\1" target "${inc}")
    if(target MATCHES "^kw/([^/]+)/")
      set(to ${CMAKE_MATCH_1})
      list(FIND allowed_${layer} ${to} ok)
      if(ok EQUAL -1)
        string(APPEND errors "\n  ${rel}: includes \"${target}\": layer '${layer}' may include only: ${allowed_${layer}}")
      endif()
    elseif(target MATCHES "/" OR NOT EXISTS ${dir}/${target})
      string(APPEND errors "\n  ${rel}: includes \"${target}\", which is neither kw/<layer>/... nor in its own folder")
    endif()
  endforeach()
endforeach()

if(errors)
  message(FATAL_ERROR "Layering violations (see docs/architecture.md):${errors}")
endif()
list(LENGTH sources nsources)
message(STATUS "Layering: ${nsources} files in ${layers}: every include allowed")
