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
