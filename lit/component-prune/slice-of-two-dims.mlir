// A slice that cuts the channel dim and another dim cannot become a plain
// selection of channels; the group is frozen with that reason instead of
// failing the pass.
// RUN: rm -f %t.json
// RUN: %mcprune-opt '--component-prune=ratio=0.3 interfaces=prune report=%t.json' %s -o /dev/null 2>&1 | FileCheck %s
// RUN: FileCheck %s --check-prefix=REPORT < %t.json
// CHECK: component-prune: 44 -> 44 parameters (0.0% removed
// REPORT: "frozen_reason": "its channels pass through tensor.extract_slice{{.*}}, which cuts other dims too"

func.func @main(%x: tensor<2x4xf32>) -> tensor<1x3xf32> {
  %w1 = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.5], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.25], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.125]]> : tensor<4x8xf32> loc("enc"("m.py":1:1))
  %w2 = arith.constant dense<[[1.0, 2.0, 3.0], [1.0, 2.0, 3.5], [1.0, 2.0, 3.25], [1.0, 2.0, 3.125]]> : tensor<4x3xf32> loc("head"("m.py":2:1))
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x8xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x8xf32>) -> tensor<2x8xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<2x4xf32>, tensor<4x8xf32>) outs(%f : tensor<2x8xf32>) -> tensor<2x8xf32> loc("enc"("m.py":3:1))
  %s = tensor.extract_slice %h[1, 2] [1, 4] [1, 1] : tensor<2x8xf32> to tensor<1x4xf32>
  %e2 = tensor.empty() : tensor<1x3xf32>
  %f2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<1x3xf32>) -> tensor<1x3xf32>
  %y = linalg.matmul ins(%s, %w2 : tensor<1x4xf32>, tensor<4x3xf32>) outs(%f2 : tensor<1x3xf32>) -> tensor<1x3xf32> loc("head"("m.py":4:1))
  return %y : tensor<1x3xf32>
}
