#include "glpk_guard.h"

#include <glpk.h>
#include <setjmp.h>
#include <stddef.h>
#include <string.h>

/* All state is per thread, mirroring GLPK's own thread-local environment. */
static _Thread_local jmp_buf *active_jump = NULL;
static _Thread_local char fault_message[1024];
static _Thread_local size_t fault_length = 0;
static _Thread_local unsigned long generation = 0;
static _Thread_local char thread_token;

/* Must not return: GLPK aborts the process if its error hook returns. */
static void on_glpk_error(void *info) {
    (void)info;
    longjmp(*active_jump, 1);
}

/* glp_error forces terminal output on before printing its message; keep that text for the Swift error
   instead of letting it reach stdout, where it would corrupt a CLI's YAML or JSON output. */
static int on_glpk_output(void *info, const char *text) {
    (void)info;
    size_t length = strlen(text);
    size_t room = sizeof(fault_message) - 1 - fault_length;
    if (length > room) length = room;
    memcpy(fault_message + fault_length, text, length);
    fault_length += length;
    fault_message[fault_length] = '\0';
    return 1; /* non-zero: GLPK skips its own printing */
}

int glpk_guard_run(glpk_guard_body body, void *context) {
    if (active_jump != NULL) {
        body(context);
        return GLPK_GUARD_OK;
    }
    jmp_buf jump;
    fault_length = 0;
    fault_message[0] = '\0';
    active_jump = &jump;
    glp_error_hook(on_glpk_error, NULL);
    glp_term_hook(on_glpk_output, NULL);
    if (setjmp(jump) == 0) {
        body(context);
        glp_term_hook(NULL, NULL);
        glp_error_hook(NULL, NULL);
        active_jump = NULL;
        return GLPK_GUARD_OK;
    }
    /* After glp_error the environment is unusable; freeing it makes the next GLPK call start a fresh one. */
    active_jump = NULL;
    glp_free_env();
    generation += 1;
    return GLPK_GUARD_FAULT;
}

const char *glpk_guard_last_message(void) {
    return fault_message;
}

unsigned long glpk_guard_generation(void) {
    return generation;
}

const void *glpk_guard_thread_token(void) {
    return &thread_token;
}

void glpk_guard_free_env(void) {
    glp_free_env();
    generation += 1;
}
