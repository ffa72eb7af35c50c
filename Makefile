# cnnfilter: `make demo` and `make test` work on a fresh Debian machine with
# the Swift toolchain; missing Debian packages are installed first.
SWIFT ?= swift
DEBIAN_PACKAGES := libpng-dev libjpeg-dev zlib1g-dev libopenblas-dev pkg-config time
TEST_PACKAGES := chromium
BIN := .build/release/cnnfilter
DEMO_OUT := out/demo
# The C kernels are compiled for SSE, AVX2 and AVX-512 and pick one at run time; the Swift code of the
# release binary is built for the CPU it is built on (AVX2 / AVX-512 and FMA where present; README,
# "Build flavours"). PORTABLE=1 builds the Swift code for any x86-64 instead.
ifeq ($(PORTABLE),1)
RELEASE_FLAGS :=
else
RELEASE_FLAGS := -Xswiftc -target-cpu -Xswiftc native -Xswiftc -DCNNFILTER_FMA
endif

.PHONY: deps test-deps build demo test install clean fuzz fuzz-build fuzz-regressions

# Installs those of the Debian packages $(1) that are missing.
define install-missing
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
endef

deps:
	$(call install-missing,$(DEBIAN_PACKAGES))

# Only the tests need a browser: headless Chromium opens the reports (scripts/screenshot-report.sh).
test-deps: deps
	$(call install-missing,$(TEST_PACKAGES))

build: deps
	$(SWIFT) build -c release --product cnnfilter $(RELEASE_FLAGS)
	@echo "built $(BIN)"

demo: build
	@mkdir -p $(DEMO_OUT)
	$(BIN) images/chelsea.png --kernel laplacian -o $(DEMO_OUT)/chelsea-laplacian.png
	$(BIN) images/chelsea.png --kernel sharpen -o $(DEMO_OUT)/chelsea-sharpen.png
	$(BIN) images/chelsea.png --kernel gaussian:sigma=3 -o $(DEMO_OUT)/chelsea-blur.png
	$(BIN) images/chelsea.png --grayscale --kernel sobel-x --activation relu --pool max:2 -o $(DEMO_OUT)/chelsea-conv-relu-pool.png
	$(BIN) images/rocket.jpg --kernel emboss -o $(DEMO_OUT)/rocket-emboss.jpg
	$(BIN) dump-activations --kernel edge --kernel sobel-x --kernel laplacian --kernel gaussian:sigma=2 \
	    --kernel sharpen --kernel emboss images/chelsea.png -o $(DEMO_OUT)/six-filters
	$(BIN) dump-activations models/lenet5-fashion.onnx images/fashion-boot.png -o $(DEMO_OUT)/lenet5-activations
	$(BIN) predict models/lenet5-fashion.onnx images/fashion-boot.png --top 3
	$(BIN) images/worked/e1.txt --kernel '1 0 1; 0 1 0; 1 0 1' --padding valid --print
	@echo
	@echo "Results are in $(DEMO_OUT)/:"
	@ls -1 $(DEMO_OUT) | sed 's/^/  /'

# swift test (portable debug build), the engine's and the ONNX operators' numeric tests again in the
# host-CPU release build (its FMA path differs), once per instruction set of the C kernels this CPU has,
# then an independent read-back of what cnnfilter writes (Pillow, pypng and numpy from PyPI) and
# onnxruntime on a model fine-tuned from the command line.
# The Python packages come first: the batch CLI test makes its photos with scripts/make-batch-photos.py.
# Headless Chromium then opens three activation reports and checks that every image loads, no script fails and
# the prediction and class names are on the page (scripts/screenshot-report.sh, about 25 s).
# Last, every fuzz finding and seed is replayed, and each fuzz target runs briefly (2,000 inputs, fixed seed).
RELEASE_TESTS := ConvolutionTests|ReferenceFixtureTests|WorkedExamplesTests|OperatorFixtureTests
RELEASE_TESTS := $(RELEASE_TESTS)|GradientFixtureTests|OperatorGradientTests|ExplainTests
test: test-deps
	@python3 -c "import numpy, PIL, png, onnx, onnxruntime" 2>/dev/null || \
	  python3 -m pip install -q --disable-pip-version-check numpy pillow pypng onnx onnxruntime
	$(SWIFT) build --product cnnfilter
	$(SWIFT) test
	for isa in $$(.build/debug/cnnfilter bench --list-isas); do echo "C kernels: $$isa"; \
	  CNNFILTER_ISA=$$isa $(SWIFT) test -c release $(RELEASE_FLAGS) --filter '$(RELEASE_TESTS)' || exit 1; done
	python3 scripts/check-written.py .build/debug/cnnfilter
	python3 scripts/check-finetune.py .build/debug/cnnfilter
	sh scripts/screenshot-report.sh out/report-check
	$(MAKE) fuzz-regressions
	$(MAKE) fuzz FUZZ_OPTIONS="-runs=2000 -seed=1"

# Coverage-guided fuzzing of every parser (docs/robustness.md): libFuzzer from the toolchain, AddressSanitizer,
# each target for FUZZ_SECONDS on its seeds (fuzz/seeds/TARGET) and what it found before (out/fuzz/corpus).
# A crash, hang or leak is written to fuzz/regressions/TARGET/, which `make test` replays.
FUZZ_SECONDS ?= 600
FUZZ_TARGETS := png jpeg pnm npy text kernel arch onnx
FUZZ_BIN := .build-fuzz/debug/cnnfilter-fuzz
FUZZ_RUNTIME = $(firstword $(wildcard $(dir $(realpath $(shell which $(SWIFT))))../lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a))
FUZZ_FLAGS = -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,trace-cmp,pc-table -Xswiftc -sanitize=address \
  -Xswiftc -DFUZZING -Xcc -fsanitize=fuzzer-no-link,address -Xlinker $(FUZZ_RUNTIME) -Xlinker -lstdc++
FUZZ_OPTIONS ?= -max_total_time=$(FUZZ_SECONDS)

fuzz-build: deps
	$(SWIFT) build --scratch-path .build-fuzz --product cnnfilter-fuzz $(FUZZ_FLAGS)

fuzz: fuzz-build
	@mkdir -p out/fuzz
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p out/fuzz/corpus/$$t fuzz/regressions/$$t; \
	  echo "fuzzing $$t ($(FUZZ_OPTIONS))"; \
	  $(FUZZ_BIN) $$t $(FUZZ_OPTIONS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix=fuzz/regressions/$$t/ out/fuzz/corpus/$$t fuzz/seeds/$$t > out/fuzz/$$t.log 2>&1 \
	    || { echo "$$t: finding in fuzz/regressions/$$t/ (log out/fuzz/$$t.log)"; tail -n 30 out/fuzz/$$t.log; exit 1; }; \
	  grep -E "^#[0-9]+ *DONE|stat::number_of_executed_units|stat::average_exec_per_sec" out/fuzz/$$t.log | tr '\n' ' '; \
	  echo; \
	done

# The seeds and every earlier finding, once each, in the ordinary debug build.
fuzz-regressions:
	$(SWIFT) build --product cnnfilter-fuzz
	@for t in $(FUZZ_TARGETS); do \
	  .build/debug/cnnfilter-fuzz $$t $$(find fuzz/seeds/$$t fuzz/regressions/$$t -type f 2>/dev/null | sort) || exit 1; \
	done

# The release binary and its man page (made from the command-line parser by swift-argument-parser's
# generate-manual tool, all subcommands on one page):
#   make install PREFIX=$$HOME/.local    (default /usr/local; DESTDIR for staging)
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man/man1
MAN_OUT := out/man

install: build
	$(SWIFT) build -c release --product generate-manual
	@rm -rf $(MAN_OUT) && mkdir -p $(MAN_OUT)
	.build/release/generate-manual $(BIN) --authors "cnnfilter contributors" -o $(MAN_OUT)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/cnnfilter
	install -m 644 $(MAN_OUT)/cnnfilter.1 $(DESTDIR)$(MANDIR)/cnnfilter.1
	@echo "installed $(DESTDIR)$(BINDIR)/cnnfilter and $(DESTDIR)$(MANDIR)/cnnfilter.1 (man cnnfilter)"

clean:
	rm -rf .build out
