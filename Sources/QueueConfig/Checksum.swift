/// YuniKorn's configuration checksum (`configs.SetChecksum`): the upper-case hex SHA-256 of the
/// submitted bytes with the `checksum: …` text removed. The core skips an update whose checksum
/// equals the active one, so a reviewer can tell from it whether a change reaches the scheduler.
public enum Checksum {
    /// The checksum YuniKorn computes for `text`.
    public static func yunikorn(of text: String) -> String {
        var text = text
        return text.withUTF8 { bytes in
            guard let first = find(marker, in: bytes, from: 0) else { return hexUpper(SHA256.digest(bytes)) }
            return hexUpper(SHA256.digest(withoutChecksum(bytes, first: first)))
        }
    }

    private static let marker = Array("checksum: ".utf8)

    /// `configs.GetConfigurationString`: the text after the first `checksum: ` (up to any second
    /// one), right-trimmed of newlines and cut to 74 bytes, is removed wherever it occurs.
    static func withoutChecksum(_ bytes: UnsafeBufferPointer<UInt8>, first: Int) -> [UInt8] {
        let afterMarker = first + marker.count
        let segmentEnd = find(marker, in: bytes, from: afterMarker) ?? bytes.count
        var needle = marker + Array(bytes[afterMarker..<segmentEnd])
        while needle.last == 10 { needle.removeLast() }
        if needle.count > 74 { needle = Array(needle.prefix(74)) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while let hit = find(needle, in: bytes, from: index) {
            out.append(contentsOf: bytes[index..<hit])
            index = hit + needle.count
        }
        out.append(contentsOf: bytes[index...])
        return out
    }

    static func find(_ needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let head = needle.first, haystack.count >= needle.count else { return nil }
        var index = start
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == head {
                var matched = true
                for offset in 1..<needle.count where haystack[index + offset] != needle[offset] {
                    matched = false
                    break
                }
                if matched { return index }
            }
            index += 1
        }
        return nil
    }

    static func hexUpper(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// FIPS 180-4 SHA-256, kept here so the pure core needs no crypto library for one checksum (the router
/// also hashes bearer tokens with it).
public enum SHA256 {
    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    /// The 32-byte digest of `message`.
    public static func digest(_ message: [UInt8]) -> [UInt8] {
        message.withUnsafeBufferPointer { digest($0) }
    }

    /// Hashes the buffer in place: whole blocks straight from the input, then the padded tail.
    static func digest(_ message: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
            (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
        let whole = message.count / 64 * 64
        var w = [UInt32](repeating: 0, count: 64)
        w.withUnsafeMutableBufferPointer { w in
            k.withUnsafeBufferPointer { k in
                var offset = 0
                while offset < whole {
                    compress(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: message[offset..<(offset + 64)])), &state, w, k)
                    offset += 64
                }
                var tail = Array(message[whole...])
                tail.append(0x80)
                while tail.count % 64 != 56 { tail.append(0) }
                let bitLength = UInt64(message.count) &* 8
                for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
                tail.withUnsafeBytes { raw in
                    var start = 0
                    while start < raw.count {
                        compress(UnsafeRawBufferPointer(rebasing: raw[start..<(start + 64)]), &state, w, k)
                        start += 64
                    }
                }
            }
        }
        let words = [state.0, state.1, state.2, state.3, state.4, state.5, state.6, state.7]
        return words.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> UInt32(24 - $0 * 8)) } }
    }

    @inline(__always)
    private static func compress(_ block: UnsafeRawBufferPointer,
                                 _ h: inout (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32),
                                 _ w: UnsafeMutableBufferPointer<UInt32>, _ k: UnsafeBufferPointer<UInt32>) {
        for i in 0..<16 {
            let j = i * 4
            w[i] = UInt32(block[j]) << 24 | UInt32(block[j + 1]) << 16 | UInt32(block[j + 2]) << 8 | UInt32(block[j + 3])
        }
        for i in 16..<64 {
            let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
            let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
            w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
        }
        var (a, b, c, d, e, f, g, hh) = h
        for i in 0..<64 {
            let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
            let ch = (e & f) ^ (~e & g)
            let t1 = hh &+ s1 &+ ch &+ k[i] &+ w[i]
            let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
            let maj = (a & b) ^ (a & c) ^ (b & c)
            let t2 = s0 &+ maj
            hh = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ t2
        }
        h = (h.0 &+ a, h.1 &+ b, h.2 &+ c, h.3 &+ d, h.4 &+ e, h.5 &+ f, h.6 &+ g, h.7 &+ hh)
    }

    @inline(__always) private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
}
