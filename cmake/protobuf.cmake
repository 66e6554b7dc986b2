# vk_protobuf_c(<out-var> <import-dir> <proto files relative to import-dir>...)
# Runs protoc-c at build time and appends the generated .c files to <out-var>.
# Generated code lands in ${VK_GEN_DIR}; it is never committed.
set(VK_GEN_DIR ${CMAKE_BINARY_DIR}/gen)
set(VK_WKT_DIR /usr/include CACHE PATH "Directory holding google/protobuf/*.proto (libprotobuf-dev)")
file(MAKE_DIRECTORY ${VK_GEN_DIR})

function(vk_protobuf_c out_var import_dir)
  set(sources)
  foreach(proto ${ARGN})
    string(REGEX REPLACE "\\.proto$" "" stem ${proto})
    set(c_file ${VK_GEN_DIR}/${stem}.pb-c.c)
    set(h_file ${VK_GEN_DIR}/${stem}.pb-c.h)
    add_custom_command(
      OUTPUT ${c_file} ${h_file}
      COMMAND ${PROTOC_C} -I${import_dir} -I${VK_WKT_DIR} --c_out=${VK_GEN_DIR} ${proto}
      DEPENDS ${import_dir}/${proto}
      COMMENT "protoc-c ${proto}"
      VERBATIM)
    list(APPEND sources ${c_file})
  endforeach()
  set(${out_var} ${${out_var}} ${sources} PARENT_SCOPE)
endfunction()
