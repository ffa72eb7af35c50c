import Foundation
import Testing

/// The worked examples typed on the command line, as the README shows them.
@Suite struct WorkedExamplesCLITests {
    func printed(_ args: [String]) throws -> String {
        let r = try CLI.run(args)
        #expect(r.status == 0, "\(args): \(r.stderr)")
        #expect(r.stderr.isEmpty)
        return r.text
    }

    @Test func e1() throws {
        #expect(try printed([CLI.image("worked/e1.txt"), "--kernel", "1 0 1; 0 1 0; 1 0 1", "--padding", "valid", "--print"])
                == "4 3 4\n2 4 3\n2 3 4\n")
    }

    @Test func e2() throws {
        #expect(try printed([CLI.image("worked/e2.txt"), "--kernel", "0 1; 2 3", "--padding", "valid", "--print"]) == "19 25\n37 43\n")
        #expect(try printed([CLI.image("worked/e2.txt"), "--kernel", "0 1; 2 3", "--padding", "1", "--border", "zero", "--print"])
                == " 0  3  8  4\n 9 19 25 10\n21 37 43 16\n 6  7  8  0\n")
    }

    /// A number of pixels of padding pads with zeros, as the notes and every CNN framework do;
    /// --border still asks for another border. Expected values: numpy.pad and a hand correlation.
    @Test func numericPaddingPadsWithZeros() throws {
        let e2 = [CLI.image("worked/e2.txt"), "--kernel", "0 1; 2 3", "--print"]
        #expect(try printed(e2 + ["--padding", "1"]) == " 0  3  8  4\n 9 19 25 10\n21 37 43 16\n 6  7  8  0\n")
        #expect(try printed(e2 + ["--padding", "1", "--border", "reflect"])
                == " 5  7 13 11\n17 19 25 23\n35 37 43 41\n23 25 31 29\n")
        #expect(try printed(e2 + ["--padding", "1", "--border", "replicate"])
                == " 0  4 10 12\n15 19 25 27\n33 37 43 45\n36 40 46 48\n")
    }

    /// `same` keeps the photo's border, reflect (TensorFlow's rule: a 2×2 kernel pads one pixel after).
    @Test func samePaddingStillReflects() throws {
        let e2 = [CLI.image("worked/e2.txt"), "--kernel", "0 1; 2 3", "--print"]
        #expect(try printed(e2) == "19 25 23\n37 43 41\n25 31 29\n")
        #expect(try printed(e2 + ["--padding", "same", "--border", "zero"]) == "19 25 10\n37 43 16\n 7  8  0\n")
    }

    /// The notes (d2l): stride 3 vertically and 2 horizontally over E2 padded by 1. The last column
    /// of the padded input is padding only, so leaving it over is not an error.
    @Test func e2StrideThreeByTwo() throws {
        let e2 = [CLI.image("worked/e2.txt"), "--kernel", "0 1; 2 3", "--padding", "1", "--print"]
        #expect(try printed(e2 + ["--stride", "3x2"]) == "0 8\n6 8\n")
        #expect(try printed(e2 + ["--stride", "2"]) == " 0  8\n21 43\n")
    }

    @Test func paddingPerSide() throws {
        let e2 = [CLI.image("worked/e2.txt"), "--kernel", "0 1; 2 3", "--print"]
        // top 1, bottom 0, left 0, right 1: the notes' 4×4 result without its first column
        #expect(try printed(e2 + ["--padding", "1,0,0,1"]) == " 3  8  4\n19 25 10\n37 43 16\n")
        // 1 above and below, 2 left and right
        #expect(try printed(e2 + ["--padding", "1x2"])
                == " 0  0  3  8  4  0\n 0  9 19 25 10  0\n 0 21 37 43 16  0\n 0  6  7  8  0  0\n")
    }

    @Test func poolingWindowsOfHeightByWidth() throws {
        #expect(try printed([CLI.image("worked/e5.txt"), "--pool", "max:1x2", "--print"]) == "1 4\n6 8\n3 1\n2 4\n")
        #expect(try printed([CLI.image("worked/e2.txt"), "--pool", "avg:2x1:1", "--print"])
                == "1.5 2.5 3.5\n4.5 5.5 6.5\n")
    }

    @Test func badGeometryIsOneLine() throws {
        for (args, line) in [
            (["--stride", "3y2"],
             "cnnfilter: --stride '3y2': expected a number or HxW (vertical x horizontal), e.g. 3x2"),
            (["--padding", "1,2"],
             "cnnfilter: --padding '1,2': expected same, valid, N, HxW or T,B,L,R (pixels, not negative)"),
            (["--pool", "max:1x"],
             "cnnfilter: --pool 'max:1x': expected max:F[:S] or avg:F[:S], e.g. max:2 or max:1x2"),
            (["--stride", "0x1"], "cnnfilter: --stride must be at least 1, not 0"),
        ] {
            let r = try CLI.run([CLI.image("worked/e2.txt"), "--kernel", "0 1; 2 3", "--print"] + args)
            #expect(r.status != 0 && r.stdout.isEmpty)
            #expect(r.stderr == line + "\n")
        }
    }

    @Test func e3() throws {
        #expect(try printed([CLI.image("worked/e3.txt"), "--kernel", "1 0 1; 0 1 0; 1 0 1", "--padding", "valid", "--print"])
                == "1 4 3 4 1\n1 2 4 3 3\n1 2 3 4 1\n1 3 3 1 1\n3 3 1 1 0\n")
    }

    @Test func e4() throws {
        #expect(try printed([CLI.image("worked/e4.txt"), "--kernel", CLI.image("worked/e4.kernel"),
                             "--padding", "1", "--border", "zero", "--stride", "2", "--print"])
                == "-3 -1  4\n-2 -7 -4\n 1 -1  1\n\n -7   3   1\n -7 -11  -1\n -4  -2  -4\n")
    }

    @Test func e5() throws {
        #expect(try printed([CLI.image("worked/e5.txt"), "--pool", "max:2", "--print"]) == "6 8\n3 4\n")
        #expect(try printed([CLI.image("worked/e2.txt"), "--pool", "max:2:1", "--print"]) == "4 5\n7 8\n")
    }

    @Test func e6StrideThatDoesNotFitIsAnError() throws {
        let r = try CLI.run([CLI.image("worked/e3.txt"), "--kernel", "1 0 1; 0 1 0; 1 0 1", "--padding", "valid", "--stride", "3", "--print"])
        #expect(r.status != 0 && r.stdout.isEmpty)
        #expect(r.stderr.contains("e3.txt") && r.stderr.contains("stride 3 does not fit") && r.stderr.contains("2.33"))
        #expect(try printed([CLI.image("worked/e3.txt"), "--kernel", "1 0 1; 0 1 0; 1 0 1", "--padding", "valid", "--stride", "2", "--print"])
                == "1 3 1\n1 3 1\n3 1 0\n")
    }

    @Test func stepsRunInTheOrderGiven() throws {
        let poolThenConv = try printed([CLI.image("worked/e5.txt"), "--pool", "max:2", "--kernel", "0 1; 2 3", "--padding", "valid", "--print"])
        #expect(poolThenConv == "26\n") // [6 8; 3 4] · [0 1; 2 3] = 0 + 8 + 6 + 12
        let convThenPool = try printed([CLI.image("worked/e5.txt"), "--kernel", "0 1; 2 3", "--padding", "valid", "--pool", "max:2", "--print"])
        #expect(convThenPool != poolThenConv)
        #expect(try printed([CLI.image("worked/e2.txt"), "--kernel", "1", "--activation", "relu", "--kernel=-1", "--print"])
                == " 0 -1 -2\n-3 -4 -5\n-6 -7 -8\n")
    }

    @Test func textOutputReadsBackAsInput() throws {
        let dir = try CLI.tempDir()
        let out = dir.appendingPathComponent("r.txt").path
        _ = try printed([CLI.image("worked/e4.txt"), "--kernel", "gaussian", "-o", out])
        let again = try printed([out, "--kernel", "identity", "--print"])
        #expect(again == (try String(contentsOfFile: out, encoding: .utf8)))
    }
}
