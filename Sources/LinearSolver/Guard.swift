import CGLPKGuard

/// Type-erased carrier for a guarded body, so one non-generic C callback can run any of them.
private class GuardedCall {
    func run() {}
}

/// Holds the body and, once it has returned normally, its result.
private final class TypedGuardedCall<T>: GuardedCall {
    let body: () -> T
    var result: T?

    init(_ body: @escaping () -> T) {
        self.body = body
    }

    override func run() {
        // Compute first, store after: no Swift access may be open while GLPK can still longjmp past it.
        let value = body()
        result = value
    }
}

/// Runs `body` under the C guard so that a GLPK `glp_error` becomes `SolverError.glpkFault` instead of
/// `abort()`.
///
/// On a fault, GLPK longjmps over the Swift frames of `body`: whatever they retained leaks, and nothing in
/// them may hold an open exclusive access. Bodies therefore only call GLPK with captured locals and return
/// plain values.
func runGuarded<T>(_ body: @escaping () -> T) throws(SolverError) -> T {
    let call = TypedGuardedCall(body)
    let outcome = withExtendedLifetime(call) {
        glpk_guard_run({ context in
            Unmanaged<GuardedCall>.fromOpaque(context!).takeUnretainedValue().run()
        }, Unmanaged.passUnretained(call as GuardedCall).toOpaque())
    }
    guard outcome == GLPK_GUARD_OK, let result = call.result else {
        let message = String(cString: glpk_guard_last_message())
            .split(whereSeparator: \.isNewline)
            .joined(separator: "; ")
        throw SolverError.glpkFault(message: message.isEmpty ? "unknown GLPK error" : message)
    }
    return result
}

/// The calling thread's GLPK environment generation (bumped on every reset).
func currentGLPKGeneration() -> UInt {
    UInt(glpk_guard_generation())
}

/// An identity for the calling thread, valid while the thread lives.
func currentGLPKThreadToken() -> UnsafeRawPointer? {
    glpk_guard_thread_token()
}

/// Frees the calling thread's GLPK environment and marks its problems invalid.
func freeGLPKEnvironment() {
    glpk_guard_free_env()
}

/// What GLPK printed on this thread during the last guarded call (its terminal is captured there).
func lastGLPKOutput() -> String {
    String(cString: glpk_guard_last_message())
}
