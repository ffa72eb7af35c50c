import Foundation

/// Runs the built `cnnfilter` binary, as a user would.
struct CLI {
    struct Result {
        var status: Int32
        var stdout: Data
        var stderr: String
        var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    static let binary: URL = {
        // The test bundle sits beside the products of the same build.
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidate = dir.appendingPathComponent("cnnfilter")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug/cnnfilter").standardized
    }()

    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized

    static func run(_ args: [String], stdin: Data? = nil, cwd: URL? = nil, env: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        p.currentDirectoryURL = cwd ?? repo
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out; p.standardError = err; p.standardInput = inp
        try p.run()
        // Read both pipes while the process runs so neither fills up.
        var outData = Data(), errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        if let stdin { inp.fileHandleForWriting.write(stdin) }
        try inp.fileHandleForWriting.close()
        p.waitUntilExit()
        group.wait()
        return Result(status: p.terminationStatus, stdout: outData, stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Starts cnnfilter with `env` (one of the hooks that make it stop itself with SIGSTOP at a chosen moment),
    /// waits until it has stopped, then kills it with SIGKILL; true when it was still running at the kill.
    static func killWhenStopped(_ args: [String], env: [String: String], cwd: URL? = nil) throws -> Bool {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        p.currentDirectoryURL = cwd ?? repo
        p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        p.standardError = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(300)
        func stopped() -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(p.processIdentifier)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            return stat[stat.index(after: close)...].hasPrefix(" T")
        }
        while p.isRunning && !stopped() && Date() < deadline { usleep(2000) }
        let running = p.isRunning
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        return running && p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGKILL
    }

    /// A fresh empty directory for one test.
    static func tempDir(_ name: String = #function) throws -> URL {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cnnfilter-cli-\(safe)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func image(_ name: String) -> String { repo.appendingPathComponent("images/\(name)").path }
}
