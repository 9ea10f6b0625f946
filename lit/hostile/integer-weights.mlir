// A model whose weights are all integer (or quantized): the passes rank
// and rebuild float weights only, so it used to prune "0 -> 0 parameters"
// and exit 0. Both passes now refuse it at its first integer weight, name
// the weights, exit 1 and write nothing.
// RUN: rm -f %t.out %t.json
// RUN: %exit1 %mcprune-opt --component-prune=ratio=0.4 %s -o %t.out 2>&1 | FileCheck %s
// RUN: not test -e %t.out
// RUN: %exit1 %mcprune-opt '--component-groups=report=%t.json' %s -o %t.out 2>&1 | FileCheck %s
// RUN: not test -e %t.out
// RUN: not test -e %t.json
// CHECK: m.py:1:1: error: the module has no float weights, only 2 integer or quantized one(s), which are not pruned (prune the float model, then quantize): arith.constant "enc.0", arith.constant "head.0"
// CHECK-NOT: component-prune:

func.func @main(%x: tensor<2x4xi32>) -> tensor<2x3xi32> {
  %w1 = arith.constant dense<[[5, -2, 1, 9, 3, -4, 7, 1], [3, 9, -4, 2, -6, 8, 1, -2], [-7, 2, 6, -1, 4, 3, -5, 1], [2, -3, 8, 6, -2, 1, 4, 3]]> : tensor<4x8xi32> loc("enc.0"("m.py":1:1))
  %w2 = arith.constant dense<[[5, -2, 1], [3, 9, -4], [-7, 2, 6], [2, -3, 8], [1, 4, -6], [9, -1, 2], [-3, 5, 7], [2, 1, -3]]> : tensor<8x3xi32> loc("head.0"("m.py":2:1))
  %z = arith.constant 0 : i32
  %e = tensor.empty() : tensor<2x8xi32>
  %f = linalg.fill ins(%z : i32) outs(%e : tensor<2x8xi32>) -> tensor<2x8xi32>
  %h = linalg.matmul ins(%x, %w1 : tensor<2x4xi32>, tensor<4x8xi32>) outs(%f : tensor<2x8xi32>) -> tensor<2x8xi32> loc("enc.0"("m.py":1:1))
  %e2 = tensor.empty() : tensor<2x3xi32>
  %f2 = linalg.fill ins(%z : i32) outs(%e2 : tensor<2x3xi32>) -> tensor<2x3xi32>
  %y = linalg.matmul ins(%h, %w2 : tensor<2x8xi32>, tensor<8x3xi32>) outs(%f2 : tensor<2x3xi32>) -> tensor<2x3xi32> loc("head.0"("m.py":2:1))
  return %y : tensor<2x3xi32>
}
