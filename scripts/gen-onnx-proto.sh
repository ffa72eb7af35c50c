#!/usr/bin/env bash
# gen-onnx-proto.sh — regenerate Sources/NeuralNet/Generated/onnx.pb.swift
#
# Produces the Swift types (Onnx_ModelProto, Onnx_GraphProto, Onnx_NodeProto,
# Onnx_TensorProto, ...) for ONNX's protobuf schema with swift-protobuf.
#
# Run it BY HAND when the ONNX schema or swift-protobuf version should change;
# CI does not run it. The generated file is checked in.
# Takes about 2 minutes on a 2-core machine (measured 1m51s; allow up to ~10
# minutes on a slow or busy machine), almost all of it building
# protoc-gen-swift in release mode (the protoc and pip steps take seconds when
# the packages are already installed).
#
# Steps:
#   1. install protoc (Debian package protobuf-compiler) if it is missing;
#   2. pip install onnx==$ONNX_VERSION and take onnx/onnx.proto (proto2,
#      package onnx) from the installed package;
#   3. build protoc-gen-swift from swift-protobuf $SWIFT_PROTOBUF_VERSION in a
#      throwaway package in a temp dir (never in this repo's .build);
#   4. run protoc with Visibility=Public and write the result to
#      Sources/NeuralNet/Generated/onnx.pb.swift.
#
# The generated code needs the SwiftProtobuf runtime at the same version
# (package https://github.com/apple/swift-protobuf, from: "1.39.0").
# A model decodes with: try Onnx_ModelProto(serializedBytes: data)
#
# Usage:  scripts/gen-onnx-proto.sh
# Env:    KEEP_WORKDIR=1   keep the temp dir (path is printed) for inspection
#         NICE=10          niceness of the plugin build (default 10)

set -euo pipefail

ONNX_VERSION=1.23.2
SWIFT_PROTOBUF_VERSION=1.39.0

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="$REPO_ROOT/Sources/NeuralNet/Generated"
OUT_FILE="$OUT_DIR/onnx.pb.swift"

WORKDIR="$(mktemp -d "${TMPDIR:-/tmp}/gen-onnx-proto.XXXXXX")"
cleanup() {
    if [[ "${KEEP_WORKDIR:-0}" == 1 ]]; then
        echo "kept work dir: $WORKDIR"
    else
        rm -rf "$WORKDIR"
    fi
}
trap cleanup EXIT

log() { echo "==> $*" >&2; }

# --- 1. protoc ---------------------------------------------------------------
if ! command -v protoc >/dev/null 2>&1; then
    log "installing protobuf-compiler"
    SUDO=""
    [[ "$(id -u)" -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update
    $SUDO apt-get install -y protobuf-compiler
fi
log "protoc: $(protoc --version)"

# --- 2. onnx.proto from the onnx PyPI package ---------------------------------
PYTHON="${PYTHON:-python3}"
log "pip install onnx==$ONNX_VERSION"
"$PYTHON" -m pip install --quiet "onnx==$ONNX_VERSION"
ONNX_DIR="$("$PYTHON" -c 'import onnx, os; print(os.path.dirname(onnx.__file__))')"
GOT_VERSION="$("$PYTHON" -c 'import onnx; print(onnx.__version__)')"
if [[ "$GOT_VERSION" != "$ONNX_VERSION" ]]; then
    echo "error: expected onnx $ONNX_VERSION, python sees $GOT_VERSION" >&2
    exit 1
fi
PROTO_DIR="$WORKDIR/proto"
mkdir -p "$PROTO_DIR"
cp "$ONNX_DIR/onnx.proto" "$PROTO_DIR/onnx.proto"
log "using $ONNX_DIR/onnx.proto (onnx $GOT_VERSION)"

# --- 3. build protoc-gen-swift -------------------------------------------------
BUILD_DIR="$WORKDIR/protoc-gen-swift"
mkdir -p "$BUILD_DIR/Sources/Dummy"
cat > "$BUILD_DIR/Package.swift" <<EOF
// swift-tools-version:6.0
import PackageDescription

// Throwaway package: only exists to build protoc-gen-swift $SWIFT_PROTOBUF_VERSION.
let package = Package(
    name: "protoc-gen-swift-builder",
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf", exact: "$SWIFT_PROTOBUF_VERSION"),
    ],
    targets: [
        .target(name: "Dummy", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]),
    ]
)
EOF
echo 'import SwiftProtobuf' > "$BUILD_DIR/Sources/Dummy/Dummy.swift"
log "building protoc-gen-swift $SWIFT_PROTOBUF_VERSION in $BUILD_DIR (~2 min)"
(cd "$BUILD_DIR" && nice -n "${NICE:-10}" swift build -c release --product protoc-gen-swift)
PLUGIN="$(cd "$BUILD_DIR" && swift build -c release --show-bin-path)/protoc-gen-swift"
[[ -x "$PLUGIN" ]] || { echo "error: $PLUGIN not built" >&2; exit 1; }
log "plugin: $("$PLUGIN" --version)"

# --- 4. generate -------------------------------------------------------------
GEN_DIR="$WORKDIR/gen"
mkdir -p "$GEN_DIR"
protoc \
    --plugin=protoc-gen-swift="$PLUGIN" \
    --proto_path="$PROTO_DIR" \
    --swift_out="$GEN_DIR" \
    --swift_opt=Visibility=Public \
    "$PROTO_DIR/onnx.proto"
# 1.39 emits `public nonisolated struct Onnx_ModelProto: @unchecked Sendable`.
grep -Eq '^public (nonisolated )?struct Onnx_ModelProto\b' "$GEN_DIR/onnx.pb.swift" || {
    echo "error: generated file lacks a public Onnx_ModelProto" >&2
    exit 1
}
mkdir -p "$OUT_DIR"
cp "$GEN_DIR/onnx.pb.swift" "$OUT_FILE"
log "wrote $OUT_FILE ($(wc -l < "$OUT_FILE") lines)"
