# Rooms: the folders of the source tree, each one library (or the program) with the rooms it may
# include. ionscreen_room() is the one place the allowed include directions are written down:
# it links the room to exactly those rooms and records them for the architecture check
# (tests/architecture/check_rooms.py, which fails when a file includes a room its own room does
# not list). docs/architecture.md draws the same picture.
#
# ionscreen_room(<name> [ROOMS <rooms it may include>] [PUBLIC <libraries>]
#                [PRIVATE <libraries>] SOURCES <files>)
function(ionscreen_room name)
  cmake_parse_arguments(R "" "" "ROOMS;PUBLIC;PRIVATE;SOURCES" ${ARGN})
  add_library(ionscreen_${name} ${R_SOURCES})
  add_library(ionscreen::${name} ALIAS ionscreen_${name})
  target_include_directories(ionscreen_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  list(TRANSFORM R_ROOMS PREPEND ionscreen:: OUTPUT_VARIABLE rooms)
  target_link_libraries(ionscreen_${name} PUBLIC ${rooms} ${R_PUBLIC}
    PRIVATE ionscreen::warnings ${R_PRIVATE})
  ionscreen_record_room(${name} "${R_ROOMS}")
endfunction()

# Records the folder of the calling CMakeLists.txt as room <name> that may include <rooms>.
function(ionscreen_record_room name rooms)
  file(RELATIVE_PATH folder ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR})
  string(REPLACE ";" " " rooms "${rooms}")
  set_property(GLOBAL APPEND PROPERTY IONSCREEN_ROOMS "${name} ${folder} : ${rooms}")
endfunction()

# Writes every recorded room to <file>, one line each: "<name> <folder> : <rooms>".
function(ionscreen_write_rooms file)
  get_property(lines GLOBAL PROPERTY IONSCREEN_ROOMS)
  list(JOIN lines "\n" text)
  file(WRITE ${file} "${text}\n")
endfunction()
