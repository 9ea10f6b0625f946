// A slice along another dim carries the pruned channel dim whole, as a ViT
// reads its class token (`x[:, 0]`): the slice's static sizes follow the
// kept channel count. They used to keep the old width, and the output
// failed the verifier ("expected type to be 'tensor<1x1x8xf32>'").
// RUN: %mcprune-opt '--component-prune=ratio=0.3 interfaces=prune' %s 2>/dev/null > %t.mlir
// RUN: %mlir-opt %t.mlir -o /dev/null
// RUN: FileCheck %s < %t.mlir
// CHECK-LABEL: func.func @main
// CHECK: linalg.batch_matmul {{.*}} -> tensor<1x3x[[W:[1-7]]]xf32>
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 0] [1, 1, [[W]]] [1, 1, 1] : tensor<1x3x[[W]]xf32> to tensor<1x[[W]]xf32>
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<1x[[W]]xf32>, tensor<[[W]]x2xf32>)

func.func @main(%x: tensor<1x3x4xf32>) -> tensor<1x2xf32> {
  %w1 = arith.constant dense<[[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.5], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.25], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.125]]]> : tensor<1x4x8xf32> loc("enc"("m.py":1:1))
  %w2 = arith.constant dense<[[1.0, 2.0], [1.0, 2.5], [1.0, 2.25], [1.0, 2.125], [1.5, 2.0], [1.25, 2.0], [1.125, 2.0], [1.0625, 2.0]]> : tensor<8x2xf32> loc("head"("m.py":2:1))
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x3x8xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<1x3x8xf32>) -> tensor<1x3x8xf32>
  %h = linalg.batch_matmul ins(%x, %w1 : tensor<1x3x4xf32>, tensor<1x4x8xf32>) outs(%f : tensor<1x3x8xf32>) -> tensor<1x3x8xf32> loc("enc"("m.py":3:1))
  %cls = tensor.extract_slice %h[0, 0, 0] [1, 1, 8] [1, 1, 1] : tensor<1x3x8xf32> to tensor<1x8xf32> loc("head"("m.py":4:1))
  %e2 = tensor.empty() : tensor<1x2xf32>
  %f2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<1x2xf32>) -> tensor<1x2xf32>
  %y = linalg.matmul ins(%cls, %w2 : tensor<1x8xf32>, tensor<8x2xf32>) outs(%f2 : tensor<1x2xf32>) -> tensor<1x2xf32> loc("head"("m.py":5:1))
  return %y : tensor<1x2xf32>
}
