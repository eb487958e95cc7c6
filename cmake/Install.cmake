# SPDX-License-Identifier: MIT
# Install rules: the public headers, libzeroipc.so (with its SONAME and
# file-version links), libzeroipc.a, zeroipc.pc for pkg-config and the CMake
# package that gives find_package(zeroipc) the target zeroipc::zeroipc.
# tests/install builds a consumer against the installed result.
include(CMakePackageConfigHelpers)

set(ZEROIPC_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/zeroipc)

install(TARGETS zeroipc zeroipc_static
	EXPORT zeroipcTargets
	LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
	ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
	INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# ZEROIPC_PUBLIC_HEADERS is the one list of public headers.  Each keeps its
# path below include/ (source or generated), so <zeroipc/memory.h> installs
# as include/zeroipc/memory.h.  ZEROIPC_PUBLIC_HEADER_NAMES collects those
# paths, the names users #include, for tests/headers and tests/install.
set(ZEROIPC_PUBLIC_HEADER_NAMES "")
foreach(header IN LISTS ZEROIPC_PUBLIC_HEADERS)
	cmake_path(ABSOLUTE_PATH header BASE_DIRECTORY ${PROJECT_SOURCE_DIR}
		NORMALIZE OUTPUT_VARIABLE header_abs)
	cmake_path(IS_PREFIX PROJECT_BINARY_DIR ${header_abs} NORMALIZE
		generated)
	if(generated)
		cmake_path(RELATIVE_PATH header_abs
			BASE_DIRECTORY ${PROJECT_BINARY_DIR}/include
			OUTPUT_VARIABLE header_rel)
	else()
		cmake_path(RELATIVE_PATH header_abs
			BASE_DIRECTORY ${PROJECT_SOURCE_DIR}/include
			OUTPUT_VARIABLE header_rel)
	endif()
	list(APPEND ZEROIPC_PUBLIC_HEADER_NAMES ${header_rel})
	cmake_path(GET header_rel PARENT_PATH header_subdir)
	install(FILES ${header_abs}
		DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/${header_subdir})
endforeach()

# zeroipc.pc is written at install time, not configure time, so that its
# prefix is the one actually installed to (cmake --install --prefix DIR)
# and pkg-config output is plain absolute paths.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
	set(ZEROIPC_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
	set(ZEROIPC_PC_LIBDIR "\${exec_prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
	set(ZEROIPC_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
	set(ZEROIPC_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
install(CODE "
	set(ZEROIPC_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
	set(ZEROIPC_PC_LIBDIR [[${ZEROIPC_PC_LIBDIR}]])
	set(ZEROIPC_PC_INCLUDEDIR [[${ZEROIPC_PC_INCLUDEDIR}]])
	set(ZEROIPC_PC_VERSION [[${PROJECT_VERSION}]])
	configure_file([[${PROJECT_SOURCE_DIR}/cmake/libzeroipc.pc.in]]
		[[${PROJECT_BINARY_DIR}/zeroipc.pc]] @ONLY)
")
install(FILES ${PROJECT_BINARY_DIR}/zeroipc.pc
	DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The CMake package.  The export file finds its own prefix relative to where
# it is installed, so the tree stays relocatable.  SameMajorVersion matches
# the SONAME: any 1.x satisfies find_package(zeroipc 1.y) for y <= x.
install(EXPORT zeroipcTargets
	NAMESPACE zeroipc::
	FILE zeroipcTargets.cmake
	DESTINATION ${ZEROIPC_INSTALL_CMAKEDIR})
configure_package_config_file(cmake/zeroipcConfig.cmake.in
	${PROJECT_BINARY_DIR}/zeroipcConfig.cmake
	INSTALL_DESTINATION ${ZEROIPC_INSTALL_CMAKEDIR}
	NO_SET_AND_CHECK_MACRO)
write_basic_package_version_file(
	${PROJECT_BINARY_DIR}/zeroipcConfigVersion.cmake
	VERSION ${PROJECT_VERSION}
	COMPATIBILITY SameMajorVersion)
install(FILES
	${PROJECT_BINARY_DIR}/zeroipcConfig.cmake
	${PROJECT_BINARY_DIR}/zeroipcConfigVersion.cmake
	DESTINATION ${ZEROIPC_INSTALL_CMAKEDIR})
