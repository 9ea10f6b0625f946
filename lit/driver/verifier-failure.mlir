// IR that parses but fails the verifier: error at the op, exit 1, no output.
// RUN: rm -f %t.out
// RUN: %exit1 %mcprune-opt %s -o %t.out 2>&1 | FileCheck %s
// RUN: not test -e %t.out

func.func @f(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  %init = tensor.empty() : tensor<2x5xf32>
  %0 = linalg.matmul ins(%a, %b : tensor<2x3xf32>, tensor<4x5xf32>) outs(%init : tensor<2x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}
// CHECK: verifier-failure.mlir:8:8: error: 'linalg.matmul' op inferred input/output operand #1 has shape's dimension #0 to be 3, but found 4
// CHECK-NEXT: {{^}}  %0 = linalg.matmul ins
