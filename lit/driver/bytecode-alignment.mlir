// A bytecode file whose resource section asks for 64-byte alignment (a blob
// that says so) reads back every time, from a file and from stdin. LLVM puts
// small files in a heap buffer aligned to 16 bytes only, and the bytecode
// reader then rejects the section at random (it did so in most runs before
// mcprune-opt read into page-aligned buffers), hence the repetitions.
// RUN: rm -f %t.mlirbc
// RUN: %mcprune-opt --emit-bytecode %s -o %t.mlirbc
// RUN: for i in $(seq 20); do %mcprune-opt %t.mlirbc || echo FAILED; done | FileCheck %s --check-prefix=FILE
// RUN: for i in $(seq 20); do %mcprune-opt - < %t.mlirbc || echo FAILED; done | FileCheck %s --check-prefix=STDIN

// FILE-NOT: FAILED
// FILE-COUNT-20: blob64: "0x40000000000080BF0000803F"
// FILE-NOT: FAILED
// STDIN-NOT: FAILED
// STDIN-COUNT-20: blob64: "0x40000000000080BF0000803F"
// STDIN-NOT: FAILED

func.func @main() -> tensor<2xf32> {
  %0 = arith.constant dense_resource<blob64> : tensor<2xf32>
  return %0 : tensor<2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      blob64: "0x40000000000080BF0000803F"
    }
  }
#-}
