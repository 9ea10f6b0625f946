// A tosa.slice takes its size from a tosa.const_shape operand. Slicing
// rows of a layer whose channels were pruned, the size kept the old channel
// count: the verifier accepts that, but lowering to linalg fails ("expected
// type to be 'tensor<1x1x2x128xf32>' or a rank-reduced version", seen on
// ResNeXt in TOSA). The slice now gets a size of its own.
// RUN: %mcprune-opt '--component-prune=ratio=0.5 rank=cost max-ratio=1 round-to=1' %s > %t.mlir
// RUN: %mlir-opt %t.mlir --pass-pipeline='builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-arith,tosa-to-tensor))' -o /dev/null
// RUN: FileCheck %s < %t.mlir

// CHECK-LABEL: func.func @main
// CHECK: %[[SIZE:.*]] = tosa.const_shape {{.*}} dense<[1, 2, 4]>
// CHECK: tosa.slice %{{.*}}, %{{.*}}, %[[SIZE]] : (tensor<1x4x4xf32>, !tosa.shape<3>, !tosa.shape<3>) -> tensor<1x2x4xf32>

func.func @main(%x: tensor<1x4x3xf32>) -> tensor<1x2x2xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %w1 = "tosa.const"() <{values = dense<[[[-0.52, 0.09, -0.26, 0.21, 0.25, -0.87, -0.97, 0.67], [-0.48, -0.53, 0.99, -0.06, 0.67, -0.05, 0.28, -0.70], [0.27, 0.74, 0.05, 0.48, 0.34, -0.87, 0.52, 0.18]]]> : tensor<1x3x8xf32>}> : () -> tensor<1x3x8xf32> loc("enc"("m.py":1:1))
  %h = tosa.matmul %x, %w1, %zp, %zp : (tensor<1x4x3xf32>, tensor<1x3x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x8xf32> loc("enc"("m.py":2:1))
  %start = tosa.const_shape {values = dense<[0, 0, 0]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %size = tosa.const_shape {values = dense<[1, 2, 8]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %s = tosa.slice %h, %start, %size : (tensor<1x4x8xf32>, !tosa.shape<3>, !tosa.shape<3>) -> tensor<1x2x8xf32> loc("enc"("m.py":3:1))
  %w2 = "tosa.const"() <{values = dense<[[[-0.40, -0.94], [0.73, -0.05], [0.44, 0.76], [0.43, 0.84], [-0.21, 0.60], [-0.11, 0.87], [0.76, -0.81], [-0.73, -0.57]]]> : tensor<1x8x2xf32>}> : () -> tensor<1x8x2xf32> loc("enc"("m.py":4:1))
  %y = tosa.matmul %s, %w2, %zp, %zp : (tensor<1x2x8xf32>, tensor<1x8x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2xf32> loc("enc"("m.py":5:1))
  return %y : tensor<1x2x2xf32>
}
