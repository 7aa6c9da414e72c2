/* cppcheck.h: force-included by `make lint` into cppcheck's run (cppcheck reads no
 * system header): jansson's json_array_foreach, and <spawn.h>'s guard so lib/spawn.c's
 * "-Ilib hides <spawn.h>" #error does not fire. Not used by the build. */
#define json_array_foreach(array, index, value)                                                   \
	for (index = 0; index < json_array_size(array) && (value = json_array_get(array, index)); \
	     index++)
#define _SPAWN_H 1
