// A parse error: file:line:col, the source line, a caret; exit 1; no output.
// RUN: rm -f %t.out
// RUN: %exit1 %mcprune-opt %s -o %t.out 2>&1 | FileCheck %s
// RUN: not test -e %t.out

func.func @f() -> i32 {
  %0 = arith.constant 1 : i32 +
  return %0 : i32
}
// CHECK: syntax-error.mlir:7:30: error: expected operation name in quotes
// CHECK-NEXT: {{^}}  %0 = arith.constant 1 : i32 +
// CHECK-NEXT: {{^}}                             ^
