# Fails when a translation unit of the UI (ui/, the app's main, the UI tests) depends on a LibTorch
# header, read from the compiler's own dependency lists that Ninja records. The UI reaches the
# model only through live/, io/ and render/, whose public headers are torch-free; an include of a
# core or model header would pull LibTorch into Qt code (slow builds, macro clashes).
# Usage: cmake -DBUILD_DIR=... -DNINJA=... -P CheckNoTorchInUi.cmake
if(NOT NINJA MATCHES "ninja" OR NOT EXISTS "${BUILD_DIR}/build.ninja")
  message("SKIPPED: the dependency check needs the Ninja generator (scripts/setup.sh uses it)")
  return()
endif()
execute_process(COMMAND "${NINJA}" -C "${BUILD_DIR}" -t deps
                OUTPUT_VARIABLE deps RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ninja -t deps failed (${rc})")
endif()
string(REPLACE "\n" ";" lines "${deps}")
set(current "")
set(checked 0)
set(offenders "")
foreach(line IN LISTS lines)
  # Every output starts a new list, object or not: a precompiled header's list (.gch) must not be
  # read as the previous object's.
  if(line MATCHES "^([^ ].*): #deps")
    set(current "${CMAKE_MATCH_1}")
    if(current MATCHES "^(ui/|tests/ui/|app/CMakeFiles/infolens\\.dir/)")
      math(EXPR checked "${checked} + 1")
    endif()
  elseif(current MATCHES "^(ui/|tests/ui/|app/CMakeFiles/infolens\\.dir/)")
    if(line MATCHES "/(torch|ATen|c10|caffe2)/")
      string(STRIP "${line}" header)
      list(APPEND offenders "${current} -> ${header}")
    endif()
  endif()
endforeach()
if(checked EQUAL 0)
  message(FATAL_ERROR "no UI object files found in ${BUILD_DIR}; build the UI first")
endif()
if(offenders)
  list(REMOVE_DUPLICATES offenders)
  list(LENGTH offenders count)
  list(SUBLIST offenders 0 10 shown)
  string(REPLACE ";" "\n  " shown "${shown}")
  message(FATAL_ERROR "${count} LibTorch dependencies in UI translation units, e.g.\n  ${shown}")
endif()
message("checked ${checked} UI translation units: none depends on a LibTorch header")
