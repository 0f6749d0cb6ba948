import Testing

@Test func placeholder_SynthTests() {}
