// Two layers joined by a concat and split again where they were joined (a
// grouped convolution after a concat in torch-mlir's TOSA form, random
// model seed 223 of issue 13). A chunk's selection lies in one part of
// the concat; it used to stop there ("could not push a channel selection
// through tensor.extract_slice"), since a concat only passed selections
// that keep something of every part. Now each chunk reads its layer
// directly and the concat and slices go.
// RUN: %mcprune-opt '--component-prune=ratio=0.3 rank=cost max-ratio=1 round-to=1' %s 2>%t.err | FileCheck %s
// RUN: FileCheck %s --check-prefix=SUMMARY < %t.err
// RUN: %mcprune-opt '--component-prune=ratio=0.3 rank=cost max-ratio=1 round-to=1' %s | %mlir-opt -o /dev/null

// SUMMARY: component-prune: 36 -> 24 parameters (33.3% removed, target 30.0%), 2 of 4 groups pruned
// CHECK-LABEL: func.func @main
// CHECK-NOT: tensor.extract_slice
// CHECK: %[[A:.*]] = linalg.matmul ins(%arg0, {{.*}} : tensor<2x4xf32>, tensor<4x2xf32>)
// CHECK: %[[B:.*]] = linalg.matmul ins(%arg0, {{.*}} : tensor<2x4xf32>, tensor<4x2xf32>)
// CHECK: linalg.matmul ins(%[[A]], {{.*}} : tensor<2x2xf32>, tensor<2x2xf32>)
// CHECK: linalg.matmul ins(%[[B]], {{.*}} : tensor<2x2xf32>, tensor<2x2xf32>)
// CHECK: %[[Y:.*]] = tensor.concat dim(1) {{.*}} -> tensor<2x4xf32>
// CHECK-NOT: tensor.concat
// CHECK: return %[[Y]]

func.func @main(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %z = arith.constant 0.0 : f32
  %wa = arith.constant dense<[[-0.52, 0.09, -0.26], [0.21, 0.25, -0.87], [-0.97, 0.67, -0.48], [-0.53, 0.99, -0.06]]> : tensor<4x3xf32> loc("enc.0"("m.py":1:1))
  %wb = arith.constant dense<[[0.67, -0.05, 0.28], [-0.70, 0.27, 0.74], [0.05, 0.48, 0.34], [-0.87, 0.52, 0.18]]> : tensor<4x3xf32> loc("enc.1"("m.py":1:1))
  %w0 = arith.constant dense<[[-0.40, -0.94], [0.73, -0.05], [0.44, 0.76]]> : tensor<3x2xf32> loc("enc.3"("m.py":1:1))
  %w1 = arith.constant dense<[[0.43, 0.84], [-0.21, 0.60], [-0.11, 0.87]]> : tensor<3x2xf32> loc("enc.3"("m.py":1:1))
  %e_a = tensor.empty() : tensor<2x3xf32>
  %f_a = linalg.fill ins(%z : f32) outs(%e_a : tensor<2x3xf32>) -> tensor<2x3xf32>
  %a = linalg.matmul ins(%x, %wa : tensor<2x4xf32>, tensor<4x3xf32>) outs(%f_a : tensor<2x3xf32>) -> tensor<2x3xf32> loc("enc.0"("m.py":1:1))
  %e_b = tensor.empty() : tensor<2x3xf32>
  %f_b = linalg.fill ins(%z : f32) outs(%e_b : tensor<2x3xf32>) -> tensor<2x3xf32>
  %b = linalg.matmul ins(%x, %wb : tensor<2x4xf32>, tensor<4x3xf32>) outs(%f_b : tensor<2x3xf32>) -> tensor<2x3xf32> loc("enc.1"("m.py":1:1))
  %h = tensor.concat dim(1) %a, %b : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32> loc("enc.2"("m.py":1:1))
  %s0 = tensor.extract_slice %h[0, 0] [2, 3] [1, 1] : tensor<2x6xf32> to tensor<2x3xf32> loc("enc.3"("m.py":1:1))
  %s1 = tensor.extract_slice %h[0, 3] [2, 3] [1, 1] : tensor<2x6xf32> to tensor<2x3xf32> loc("enc.3"("m.py":1:1))
  %e_y0 = tensor.empty() : tensor<2x2xf32>
  %f_y0 = linalg.fill ins(%z : f32) outs(%e_y0 : tensor<2x2xf32>) -> tensor<2x2xf32>
  %y0 = linalg.matmul ins(%s0, %w0 : tensor<2x3xf32>, tensor<3x2xf32>) outs(%f_y0 : tensor<2x2xf32>) -> tensor<2x2xf32> loc("enc.3"("m.py":1:1))
  %e_y1 = tensor.empty() : tensor<2x2xf32>
  %f_y1 = linalg.fill ins(%z : f32) outs(%e_y1 : tensor<2x2xf32>) -> tensor<2x2xf32>
  %y1 = linalg.matmul ins(%s1, %w1 : tensor<2x3xf32>, tensor<3x2xf32>) outs(%f_y1 : tensor<2x2xf32>) -> tensor<2x2xf32> loc("enc.3"("m.py":1:1))
  %y = tensor.concat dim(1) %y0, %y1 : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x4xf32> loc("enc.3"("m.py":1:1))
  return %y : tensor<2x4xf32>
}
