@testable import SandboxServer
import Testing

@Suite("Identifiers the sandbox hands out")
struct SandboxIdentifierTests {
    @Test("request ids are version-4 UUIDs and conversation ids are ULIDs, none repeated, across refills of the random pool")
    func shapesAndUniqueness() {
        // 600 of each draws 2,400 words: more than four fills of the pool of 512.
        let uuids = (0..<600).map { _ in SandboxIdentifiers.uuid() }
        let ulids = (0..<600).map { _ in SandboxIdentifiers.ulid() }
        #expect(Set(uuids).count == uuids.count)
        #expect(Set(ulids).count == ulids.count)
        let hex = Set("0123456789abcdef")
        for id in uuids {
            let groups = id.split(separator: "-", omittingEmptySubsequences: false).map(\.count)
            #expect(groups == [8, 4, 4, 4, 12], "\(id)")
            #expect(id.allSatisfy { $0 == "-" || hex.contains($0) }, "\(id)")
            #expect(Array(id)[14] == "4", "\(id)")
            #expect("89ab".contains(Array(id)[19]), "\(id)")
        }
        for id in ulids {
            #expect(id.count == 26 && id.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) }, "\(id)")
        }
        // The random half of a UUID differs between neighbours: the pool hands out each word once.
        #expect(zip(uuids, uuids.dropFirst()).allSatisfy { $0.suffix(12) != $1.suffix(12) })
    }
}
