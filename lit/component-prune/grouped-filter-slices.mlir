// A TOSA grouped 1x1 convolution pruned to one channel per group (random
// model seed 6066 of issue 13): torch-mlir cuts the filter into one
// tosa.slice per group. The pass used to slice the pruned dense_resource
// filter down to one element per group, and MLIR 22's tosa.slice folder
// aborts on such a slice ("ElementsAttr does not provide iteration
// facilities"), so `mlir-opt --canonicalize` of the pass's output crashed
// (the CPU harness too, which folds while lowering). Now each group's
// filter is a constant of its own, and no slice of a weight is left.
// RUN: %mcprune-opt '--component-prune=ratio=0.5 grouping=vanilla interfaces=prune round-to=1 max-ratio=1 rank=cost' %s 2>%t.err | FileCheck %s
// RUN: FileCheck %s --check-prefix=SUMMARY < %t.err
// RUN: %mcprune-opt '--component-prune=ratio=0.5 grouping=vanilla interfaces=prune round-to=1 max-ratio=1 rank=cost' %s | %mlir-opt --canonicalize | FileCheck %s --check-prefix=CANON

// SUMMARY: component-prune: 20 -> 10 parameters (50.0% removed, target 50.0%), 1 of 2 groups pruned
// CHECK-LABEL: func.func @main
// CHECK-DAG: %[[F0:.*]] = "tosa.const"() <{values = dense_resource<w1_pruned> : tensor<1x1x1x1xf32>}>
// CHECK-DAG: %[[F1:.*]] = "tosa.const"() <{values = dense_resource<w1_pruned_1> : tensor<1x1x1x1xf32>}>
// CHECK-NOT: tosa.slice %[[F0]]
// CHECK-NOT: tosa.slice %[[F1]]
// CHECK-DAG: tosa.conv2d %{{.*}}, %[[F0]], {{.*}} -> tensor<1x2x2x1xf32>
// CHECK-DAG: tosa.conv2d %{{.*}}, %[[F1]], {{.*}} -> tensor<1x2x2x1xf32>
// CANON-LABEL: func.func @main
// CANON: tosa.concat {{.*}} -> tensor<1x2x2x2xf32>

func.func @main(%x: tensor<1x2x2x4xf32>) -> tensor<1x2x2x2xf32> {
  %w0 = "tosa.const"() <{values = dense_resource<w0> : tensor<4x1x1x4xf32>}> : () -> tensor<4x1x1x4xf32> loc("trunk.0"("m.py":1:1))
  %b4 = "tosa.const"() <{values = dense<0.0> : tensor<4xf32>}> : () -> tensor<4xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %h = tosa.conv2d %x, %w0, %b4, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x4xf32>, tensor<4x1x1x4xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x4xf32> loc("trunk.0"("m.py":1:1))
  %w1 = "tosa.const"() <{values = dense_resource<w1> : tensor<2x1x1x2xf32>}> : () -> tensor<2x1x1x2xf32> loc("head.0"("m.py":2:1))
  %b1 = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %s0 = tosa.const_shape {values = dense<[0, 0, 0, 0]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %s2 = tosa.const_shape {values = dense<[0, 0, 0, 2]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %k1 = tosa.const_shape {values = dense<[1, 0, 0, 0]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %xs = tosa.const_shape {values = dense<[1, 2, 2, 2]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %ws = tosa.const_shape {values = dense<[1, 1, 1, 2]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %x0 = tosa.slice %h, %s0, %xs : (tensor<1x2x2x4xf32>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x2x2x2xf32> loc("head.0"("m.py":2:1))
  %f0 = tosa.slice %w1, %s0, %ws : (tensor<2x1x1x2xf32>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x1x1x2xf32> loc("head.0"("m.py":2:1))
  %y0 = tosa.conv2d %x0, %f0, %b1, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x2xf32>, tensor<1x1x1x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x1xf32> loc("head.0"("m.py":2:1))
  %x1 = tosa.slice %h, %s2, %xs : (tensor<1x2x2x4xf32>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x2x2x2xf32> loc("head.0"("m.py":2:1))
  %f1 = tosa.slice %w1, %k1, %ws : (tensor<2x1x1x2xf32>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x1x1x2xf32> loc("head.0"("m.py":2:1))
  %y1 = tosa.conv2d %x1, %f1, %b1, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x2xf32>, tensor<1x1x1x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x1xf32> loc("head.0"("m.py":2:1))
  %y = tosa.concat %y0, %y1 {axis = 3 : i32} : (tensor<1x2x2x1xf32>, tensor<1x2x2x1xf32>) -> tensor<1x2x2x2xf32> loc("head.0"("m.py":2:1))
  return %y : tensor<1x2x2x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w0: "0x04000000CDCCCC3DCDCC4C3E9A99993ECDCCCC3E0000003F9A99193F3333333FCDCC4C3F6666663F0000803FCDCCCCBDCDCC4CBE9A9999BECDCCCCBE000000BF9A9919BF",
      w1: "0x04000000CDCCCC3D6666663FCDCC4C3E0000003F"
    }
  }
#-}
