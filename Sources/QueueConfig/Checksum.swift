internal import Crypto

/// YuniKorn's configuration checksum (`configs.SetChecksum`): the upper-case hex SHA-256 of the
/// submitted bytes with the `checksum: …` text removed. The core skips an update whose checksum
/// equals the active one, so a reviewer can tell from it whether a change reaches the scheduler.
public enum Checksum {
    /// The checksum YuniKorn computes for `text`.
    public static func yunikorn(of text: String) -> String {
        var text = text
        return text.withUTF8 { bytes in
            guard let first = find(marker, in: bytes, from: 0) else {
                return hexUpper(SHA256.hash(data: UnsafeRawBufferPointer(bytes)))
            }
            return hexUpper(SHA256.hash(data: withoutChecksum(bytes, first: first)))
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

    static func hexUpper(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
