import Testing

@Test func placeholder_InsightsTests() { #expect(true) }
