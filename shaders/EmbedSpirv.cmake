# Writes a SPIR-V binary as a C++ array of 32-bit words, so the renderer carries its shader and
# needs no file at run time.
# Usage: cmake -DINPUT=<file.spv> -DOUTPUT=<header.h> -DSYMBOL=<array name> -P EmbedSpirv.cmake
foreach(var INPUT OUTPUT SYMBOL)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "EmbedSpirv.cmake: ${var} is not set")
  endif()
endforeach()

file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hexLength)
math(EXPR remainder "${hexLength} % 8")
if(hexLength EQUAL 0 OR NOT remainder EQUAL 0)
  message(FATAL_ERROR "${INPUT} is not a whole number of 32-bit words")
endif()
# glslc writes the host's byte order; the magic number tells a little-endian module from a
# byte-swapped one, and only the former can be reassembled as below.
if(NOT hex MATCHES "^03022307")
  message(FATAL_ERROR "${INPUT} does not start with the little-endian SPIR-V magic number")
endif()

# File bytes b0 b1 b2 b3 form the little-endian word 0xb3b2b1b0.
string(REGEX REPLACE "(..)(..)(..)(..)" "0x\\4\\3\\2\\1u, " words "${hex}")
string(REGEX REPLACE "((0x[0-9a-f]+u, )(0x[0-9a-f]+u, )(0x[0-9a-f]+u, )(0x[0-9a-f]+u, )(0x[0-9a-f]+u, )(0x[0-9a-f]+u, ))"
       "\\1\n" words "${words}")
string(REPLACE " \n" "\n    " words "${words}")
string(STRIP "${words}" words)
string(REGEX REPLACE ",$" "" words "${words}")

get_filename_component(inputName "${INPUT}" NAME)
file(WRITE "${OUTPUT}.tmp"
     "// Generated from ${inputName} by shaders/EmbedSpirv.cmake at build time; do not edit.\n"
     "#pragma once\n"
     "\n"
     "#include <cstdint>\n"
     "\n"
     "static const std::uint32_t ${SYMBOL}[] = {\n"
     "    ${words}\n"
     "};\n")
# Leaving an unchanged header untouched spares recompiling everything that includes it.
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
