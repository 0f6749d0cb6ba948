@testable import Archer
import Foundation
import HTTPFetch
import InsightStore
import Routing
import Testing

/// The dashboards on the router (issue #18): any authenticated caller reads them, by bearer token or by a
/// session cookie set by signing in with the same token; the cookie is HttpOnly, SameSite=Strict, scoped to
/// /dashboards, signed, expiring and void once its token is gone; bad filters are named; no script is allowed.
@Suite("Dashboards on the router", .serialized)
struct DashboardRouteTests {
    /// One request with the response's headers, following no redirect.
    static func fetch(_ router: TestRouter, _ method: FetchRequest.Method, _ path: String, token: String? = nil,
                      body: String = "", headers: [String] = []) async throws -> FetchResponse {
        try await TestRouter.perform(FetchRequest(method: method, url: router.base + path,
                                                  headers: ["Content-Type: application/x-www-form-urlencoded"] + headers,
                                                  body: Array(body.utf8), bearerToken: token))
    }

    static func text(_ response: FetchResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    /// The `name=value` of a Set-Cookie header.
    static func cookie(_ response: FetchResponse) -> String? {
        response.header("Set-Cookie")?.split(separator: ";").first.map(String.init)
    }

    @Test func signingInSetsAProtectedCookieThatOpensThePages() async throws {
        try await withRouter(.sqlite) { router in
            // Not signed in: the page sends the browser to the sign-in form, and back afterwards.
            let away = try await Self.fetch(router, .get, "/dashboards/slo?tier=1")
            #expect(away.status == 303)
            #expect(away.header("Location") == "login?next=slo%3Ftier%3D1")
            #expect(try await Self.fetch(router, .get, "/dashboards").header("Location") == "/dashboards/")
            let form = try await Self.fetch(router, .get, "/dashboards/login?next=slo%3Ftier%3D1")
            #expect(form.status == 200)
            #expect(Self.text(form).contains("name=\"next\" value=\"slo?tier=1\""))

            // A wrong token: refused, counted, no cookie.
            let wrong = try await Self.fetch(router, .post, "/dashboards/login", body: "token=nope&next=slo")
            #expect(wrong.status == 401)
            #expect(wrong.header("Set-Cookie") == nil)
            #expect(Self.text(wrong).contains("not known"))

            // The right one: a session cookie with the usual protections, then the page it asked for.
            let signedIn = try await Self.fetch(router, .post, "/dashboards/login", body: "token=\(TestRouter.alice)&next=slo%3Ftier%3D1")
            #expect(signedIn.status == 303)
            #expect(signedIn.header("Location") == "slo?tier=1")
            let setCookie = try #require(signedIn.header("Set-Cookie"))
            for attribute in ["HttpOnly", "SameSite=Strict", "Path=/dashboards", "Max-Age=43200"] {
                #expect(setCookie.contains(attribute), "\(setCookie)")
            }
            #expect(!setCookie.contains(TestRouter.alice), "the cookie must not carry the token")
            let cookie = try #require(Self.cookie(signedIn))
            let page = try await Self.fetch(router, .get, "/dashboards/", headers: ["Cookie: theme=dark; \(cookie)"])
            #expect(page.status == 200)
            #expect(page.header("Content-Type") == "text/html; charset=utf-8")
            #expect(page.header("Content-Security-Policy")?.contains("default-src 'none'") == true)
            #expect(page.header("Cache-Control") == "no-store")
            #expect(Self.text(page).contains("Sign out alice"))
            #expect(Self.text(page).contains("<h1>Overview</h1>"))

            // Tampered, forged for another principal, or signed out: back to the form.
            var tampered = Array(cookie.utf8)
            tampered[tampered.count - 1] = tampered.last == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
            #expect(try await Self.fetch(router, .get, "/dashboards/", headers: ["Cookie: \(String(decoding: tampered, as: UTF8.self))"]).status == 303)
            let value = String(cookie.dropFirst("bursar_session=".count))
            let rootName = Array("root".utf8).map { String($0, radix: 16) }.joined()
            let forged = rootName + value[value.firstIndex(of: ".")!...]
            #expect(try await Self.fetch(router, .get, "/dashboards/", headers: ["Cookie: bursar_session=\(forged)"]).status == 303)
            let out = try await Self.fetch(router, .post, "/dashboards/logout", headers: ["Cookie: \(cookie)"])
            #expect(out.status == 303)
            #expect(out.header("Set-Cookie")?.contains("Max-Age=0") == true)
        }
    }

    @Test func sessionsExpireAndEndWithTheirToken() throws {
        let book = try TokenBook.parse("""
            principals:
              - {name: alice, teams: [a], roles: [submitter], token_sha256: \(TokenBook.hash("t1"))}
            """, file: "tokens.yaml")
        let session = try #require(book.session(token: "t1", now: 1_000))
        #expect(book.principal(session: session, now: 2_000)?.name == "alice")
        #expect(book.principal(session: session, now: 1_000 + TokenBook.sessionLifetimeMillis) == nil, "expired")
        #expect(book.session(token: "t2", now: 1_000) == nil)
        let rotated = try TokenBook.parse("""
            principals:
              - {name: alice, teams: [a], roles: [submitter], token_sha256: \(TokenBook.hash("t2"))}
            """, file: "tokens.yaml")
        #expect(rotated.principal(session: session, now: 2_000) == nil, "a rotated token ends its sessions")
        #expect(book.principal(session: "zz.1.2", now: 0) == nil)
        #expect(book.principal(session: String(repeating: "a", count: 5000), now: 0) == nil)
    }

    @Test func bearerCallersGetTheDataAndBadFiltersAreNamed() async throws {
        try await withRouter(.sqlite) { router in
            let json = try await Self.fetch(router, .get, "/dashboards/overview.json", token: TestRouter.bob)
            #expect(json.status == 200)
            #expect(json.header("Content-Type") == "application/json")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(json.body)) as? [String: Any])
            #expect(document["page"] as? String == "overview")
            #expect((document["tables"] as? [Any])?.isEmpty == false)

            let csv = try await Self.fetch(router, .get, "/dashboards/router.csv", token: TestRouter.bob)
            #expect(csv.status == 200)
            #expect(Self.text(csv).hasPrefix("Hour,Cluster,Source,State,Submissions\r\n"))

            let unknown = try await Self.fetch(router, .get, "/dashboards/slo.json?colour=red", token: TestRouter.bob)
            #expect(unknown.status == 400)
            let error = try #require(try JSONSerialization.jsonObject(with: Data(unknown.body)) as? [String: Any])
            #expect("\(error)".contains("colour"))
            let page = try await Self.fetch(router, .get, "/dashboards/slo?tier=%3Cscript%3E", token: TestRouter.bob)
            #expect(page.status == 404)
            #expect(Self.text(page).contains("tier: must be a tier number"))
            #expect(!Self.text(page).contains("<script>"), "the value is escaped")
            #expect(try await Self.fetch(router, .get, "/dashboards/slo.json").status == 401)
            #expect(try await Self.fetch(router, .get, "/dashboards/slo.json", token: "wrong").status == 401)
        }
    }

    @Test func aSignInPostedFromAnotherSiteIsRefused() async throws {
        try await withRouter(.sqlite) { router in
            let posted = try await Self.fetch(router, .post, "/dashboards/login", body: "token=\(TestRouter.alice)",
                                              headers: ["Origin: https://evil.example"])
            #expect(posted.status == 403)
            #expect(posted.header("Set-Cookie") == nil)
            // Where to go after signing in stays on the dashboards.
            for next in ["https://evil.example/", "//evil.example", "/v1/rules", "javascript:alert(1)"] {
                #expect(Archer.safeNext(next) == "./", "\(next)")
            }
            #expect(Archer.safeNext("queues?state=at-max") == "queues?state=at-max")
        }
    }
}
