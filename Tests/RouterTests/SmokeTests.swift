import Testing
@testable import Router
