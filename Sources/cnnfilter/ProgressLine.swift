import Foundation
import Training

/// Progress on stderr: a redrawn line (training: a bar with loss, accuracy, speed and time left)
/// when stderr is a terminal; only the finished lines otherwise (logs stay readable).
final class ProgressLine {
    private let live = isatty(STDERR_FILENO) != 0
    private var lastDraw = Date.distantPast

    func update(_ p: BatchProgress) {
        guard live, Date().timeIntervalSince(lastDraw) > 0.2 || p.samplesDone == p.samples else { return }
        let fraction = Double(p.samplesDone) / Double(max(p.samples, 1)), width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let eta = Int(p.secondsLeftInEpoch.rounded())
        let text = String(format: "epoch %d/%d [%@] %3.0f%%  loss %.4f  accuracy %.4f  %.0f samples/s  ETA %d:%02d",
                          p.epoch, p.epochs, bar, fraction * 100, p.loss, p.accuracy, p.samplesPerSecond, eta / 60, eta % 60)
        draw(text, now: true)
    }

    /// Redraws the line with `text` (at most five times a second unless `now`), on a terminal only.
    func draw(_ text: String, now: Bool = false) {
        guard live, now || Date().timeIntervalSince(lastDraw) > 0.2 else { return }
        lastDraw = Date()
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
    }

    /// Replaces the bar with a permanent line.
    func finish(_ line: String) {
        FileHandle.standardError.write(Data(((live ? "\r\u{1B}[K" : "") + line + "\n").utf8))
    }
}

/// One stderr line for the user (stdout carries only results).
func note(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
