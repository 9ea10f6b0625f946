// A layer whose output is both chunked and used whole (random model seed
// 23 of issue 13). Each chunk's selection used to be pushed back to the
// layer, which the rewrite rebuilt once per chunk while the whole use kept
// the pruned layer: its weights were held twice and the parameter check
// stopped the pass ("internal error: the pruned module holds 48
// parameters, the plan 32"). Now each chunk is a slice of the one pruned
// layer, at the offset and size of its kept channels.
// RUN: %mcprune-opt '--component-prune=ratio=0.3 rank=cost max-ratio=1 round-to=1' %s 2>%t.err | FileCheck %s
// RUN: FileCheck %s --check-prefix=SUMMARY < %t.err
// RUN: %mcprune-opt '--component-prune=ratio=0.3 rank=cost max-ratio=1 round-to=1' %s | %mlir-opt -o /dev/null

// SUMMARY: component-prune: 48 -> 32 parameters (33.3% removed, target 30.0%), 1 of 4 groups pruned
// CHECK-LABEL: func.func @main
// CHECK: %[[H:.*]] = linalg.matmul ins(%arg0, {{.*}} : tensor<2x4xf32>, tensor<4x4xf32>)
// CHECK-NOT: linalg.matmul ins(%arg0
// CHECK: tensor.extract_slice %[[H]][0, 0] [2, 2] [1, 1] : tensor<2x4xf32> to tensor<2x2xf32>
// CHECK: tensor.extract_slice %[[H]][0, 2] [2, 2] [1, 1] : tensor<2x4xf32> to tensor<2x2xf32>
// CHECK: linalg.matmul ins(%[[H]], {{.*}} : tensor<2x4xf32>, tensor<4x2xf32>)
func.func @main(%x: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x2xf32>) {
  %z = arith.constant 0.0 : f32
  %wt = arith.constant dense<[[0.25, 0.48, 0.59, 0.88, 0.48, 0.84], [-0.94, -0.07, 0.89, 0.30, 0.80, -0.77], [-0.06, -0.51, 0.09, 0.15, -0.97, -0.57], [-0.44, 0.83, 0.53, -0.68, 0.59, -0.72]]> : tensor<4x6xf32> loc("enc.0"("m.py":1:1))
  %w0 = arith.constant dense<[[0.23, -0.75], [-1.00, 0.74], [-0.58, -0.57]]> : tensor<3x2xf32> loc("enc.1"("m.py":1:1))
  %w1 = arith.constant dense<[[0.96, 0.74], [-0.42, 0.92], [0.08, 0.36]]> : tensor<3x2xf32> loc("enc.1"("m.py":1:1))
  %w2 = arith.constant dense<[[-0.59, 0.88], [0.38, 0.93], [0.79, -0.40], [-0.28, -0.67], [-0.71, -0.87], [-0.40, 0.21]]> : tensor<6x2xf32> loc("enc.2"("m.py":1:1))
  %e_h = tensor.empty() : tensor<2x6xf32>
  %f_h = linalg.fill ins(%z : f32) outs(%e_h : tensor<2x6xf32>) -> tensor<2x6xf32>
  %h = linalg.matmul ins(%x, %wt : tensor<2x4xf32>, tensor<4x6xf32>) outs(%f_h : tensor<2x6xf32>) -> tensor<2x6xf32> loc("enc.0"("m.py":1:1))
  %s0 = tensor.extract_slice %h[0, 0] [2, 3] [1, 1] : tensor<2x6xf32> to tensor<2x3xf32> loc("enc.1"("m.py":1:1))
  %s1 = tensor.extract_slice %h[0, 3] [2, 3] [1, 1] : tensor<2x6xf32> to tensor<2x3xf32> loc("enc.1"("m.py":1:1))
  %e_y0 = tensor.empty() : tensor<2x2xf32>
  %f_y0 = linalg.fill ins(%z : f32) outs(%e_y0 : tensor<2x2xf32>) -> tensor<2x2xf32>
  %y0 = linalg.matmul ins(%s0, %w0 : tensor<2x3xf32>, tensor<3x2xf32>) outs(%f_y0 : tensor<2x2xf32>) -> tensor<2x2xf32> loc("enc.1"("m.py":1:1))
  %e_y1 = tensor.empty() : tensor<2x2xf32>
  %f_y1 = linalg.fill ins(%z : f32) outs(%e_y1 : tensor<2x2xf32>) -> tensor<2x2xf32>
  %y1 = linalg.matmul ins(%s1, %w1 : tensor<2x3xf32>, tensor<3x2xf32>) outs(%f_y1 : tensor<2x2xf32>) -> tensor<2x2xf32> loc("enc.1"("m.py":1:1))
  %y = tensor.concat dim(1) %y0, %y1 : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x4xf32> loc("enc.1"("m.py":1:1))
  %e_u = tensor.empty() : tensor<2x2xf32>
  %f_u = linalg.fill ins(%z : f32) outs(%e_u : tensor<2x2xf32>) -> tensor<2x2xf32>
  %u = linalg.matmul ins(%h, %w2 : tensor<2x6xf32>, tensor<6x2xf32>) outs(%f_u : tensor<2x2xf32>) -> tensor<2x2xf32> loc("enc.2"("m.py":1:1))
  return %y, %u : tensor<2x4xf32>, tensor<2x2xf32>
}
