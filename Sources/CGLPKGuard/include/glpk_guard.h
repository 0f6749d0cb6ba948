#ifndef BURSAR_GLPK_GUARD_H
#define BURSAR_GLPK_GUARD_H

/*
 * GLPK reports API misuse (an index out of range, a duplicate matrix entry, ...) through glp_error, which
 * prints a message and calls abort(). The only way to survive is an error hook that longjmps out, and Swift
 * cannot longjmp, so this tiny C layer owns the setjmp. Everything here acts on the calling thread only,
 * because GLPK's environment (and its hooks) is thread-local.
 */

#ifdef __cplusplus
extern "C" {
#endif

/** The work to run under the guard; `context` is passed through untouched. */
typedef void (*glpk_guard_body)(void *context);

/** `glpk_guard_run` result: the body returned normally. */
#define GLPK_GUARD_OK 0
/** `glpk_guard_run` result: GLPK raised an error; the thread's GLPK environment was freed. */
#define GLPK_GUARD_FAULT 1

/**
 * Runs `body(context)` with a GLPK error hook that jumps back here instead of aborting.
 *
 * On a fault it calls glp_free_env(), which frees every glp_prob this thread created (they must not be
 * deleted again) and bumps the thread's generation counter so callers can detect such dangling problems.
 * The body must not hold state that needs cleanup: frames between this call and the GLPK fault are skipped.
 * A nested call runs the body directly and lets the outermost guard catch the fault.
 */
int glpk_guard_run(glpk_guard_body body, void *context);

/** GLPK's own text for the last fault on this thread (what it would have printed before aborting). */
const char *glpk_guard_last_message(void);

/** Counts GLPK environment resets on this thread; a glp_prob is valid only in the generation it was made in. */
unsigned long glpk_guard_generation(void);

/** An address unique to the calling thread while it lives, to check that a glp_prob stays on its thread. */
const void *glpk_guard_thread_token(void);

/** Frees this thread's GLPK environment (and every problem in it) and bumps the generation counter. */
void glpk_guard_free_env(void);

#ifdef __cplusplus
}
#endif

#endif
