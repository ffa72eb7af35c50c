# cnnfilter: `make demo` and `make test` work on a fresh Debian machine with
# the Swift toolchain; missing Debian packages are installed first.
SWIFT ?= swift
DEBIAN_PACKAGES := libpng-dev libjpeg-dev zlib1g-dev pkg-config
BIN := .build/release/cnnfilter
DEMO_OUT := out/demo

.PHONY: deps build demo test clean

deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c release --product cnnfilter
	@echo "built $(BIN)"

demo: build
	@mkdir -p $(DEMO_OUT)
	$(BIN) images/chelsea.png --kernel laplacian -o $(DEMO_OUT)/chelsea-laplacian.png
	$(BIN) images/chelsea.png --kernel sharpen -o $(DEMO_OUT)/chelsea-sharpen.png
	$(BIN) images/chelsea.png --kernel gaussian:sigma=3 -o $(DEMO_OUT)/chelsea-blur.png
	$(BIN) images/chelsea.png --grayscale --kernel sobel-x --activation relu --pool max:2 -o $(DEMO_OUT)/chelsea-conv-relu-pool.png
	$(BIN) images/rocket.jpg --kernel emboss -o $(DEMO_OUT)/rocket-emboss.jpg
	$(BIN) images/worked/e1.txt --kernel '1 0 1; 0 1 0; 1 0 1' --padding valid --print
	@echo
	@echo "Results are in $(DEMO_OUT)/:"
	@ls -1 $(DEMO_OUT) | sed 's/^/  /'

# swift test, then an independent read-back of what cnnfilter writes
# (Pillow, pypng and numpy from PyPI read every output format).
test: deps
	$(SWIFT) build --product cnnfilter
	$(SWIFT) test
	@python3 -c "import numpy, PIL, png" 2>/dev/null || python3 -m pip install -q --disable-pip-version-check numpy pillow pypng
	python3 scripts/check-written.py .build/debug/cnnfilter

clean:
	rm -rf .build out
