import Testing

@Test func placeholder_InsightStoreTests() {}
