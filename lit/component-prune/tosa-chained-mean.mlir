// A mean over two axes as torch-mlir's TOSA writes GroupNorm's statistics:
// a reduce_sum over a group's channels, a reduce_sum over its positions,
// then one multiply by 1/count. The first sum's only use was another sum,
// not a division, so it counted as a sum and froze the channels ("reduced
// by 'tosa.reduce_sum'"). The chain is one mean now: the 8 channels (2
// groups of 4) lose the same channels in every group, and the count
// becomes that of the kept ones (here 2 of 4 per group: 1/(2 * 4)).
// RUN: rm -f %t.json
// RUN: %mcprune-opt '--component-groups=grouping=vanilla report=%t.json' %s -o /dev/null
// RUN: FileCheck %s --check-prefix=GROUPS < %t.json
// RUN: %mcprune-opt '--component-prune=ratio=0.5 grouping=vanilla interfaces=prune scope=local' %s -o - 2>/dev/null | FileCheck %s --check-prefix=PRUNED

// GROUPS: "channels": 4,
// GROUPS-NEXT: "ops": [
// GROUPS-NEXT: "tosa.matmul#{{[0-9]+}} \"enc.0\"",
// GROUPS: "prunable": true,
// GROUPS-NEXT: "frozen_reason": null,

// PRUNED-LABEL: func.func @main
// PRUNED: tosa.matmul {{.*}} -> tensor<1x4x4xf32>
// PRUNED: tosa.reshape {{.*}} -> tensor<1x2x2x4xf32>
// PRUNED: %[[S1:.*]] = tosa.reduce_sum %{{.*}} {axis = 2 : i32} : (tensor<1x2x2x4xf32>) -> tensor<1x2x1x4xf32>
// PRUNED: %[[S2:.*]] = tosa.reduce_sum %[[S1]] {axis = 3 : i32} : (tensor<1x2x1x4xf32>) -> tensor<1x2x1x1xf32>
// PRUNED: %[[C:.*]] = "tosa.const"() <{values = dense<1.250000e-01> : tensor<1x1x1x1xf32>}>
// PRUNED: tosa.mul %[[S2]], %[[C]]
// PRUNED: tosa.matmul {{.*}} : (tensor<1x4x4xf32>, tensor<1x4x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x3xf32>

func.func @main(%x: tensor<1x4x6xf32>) -> tensor<1x4x3xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %w1 = "tosa.const"() <{values = dense<[[[0.5, -0.2, 0.1, 0.9, 0.3, -0.4, 0.7, 0.2], [0.3, 0.9, -0.4, 0.2, -0.6, 0.8, -0.1, 0.4], [-0.7, 0.2, 0.6, -0.1, 0.4, 0.3, 0.5, -0.3], [0.2, -0.3, 0.8, 0.6, -0.2, 0.1, -0.8, 0.6], [0.1, 0.4, -0.6, 0.2, 0.7, -0.5, 0.3, 0.9], [0.9, -0.1, 0.2, -0.3, 0.5, 0.6, -0.2, 0.1]]]> : tensor<1x6x8xf32>}> : () -> tensor<1x6x8xf32> loc("enc.0"("m.py":1:1))
  %h = tosa.matmul %x, %w1, %zp, %zp : (tensor<1x4x6xf32>, tensor<1x6x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x8xf32> loc("enc.0"("m.py":1:1))
  %c = tosa.transpose %h {perms = array<i32: 0, 2, 1>} : (tensor<1x4x8xf32>) -> tensor<1x8x4xf32> loc("norm"("m.py":2:1))
  %sg = tosa.const_shape {values = dense<[1, 2, 4, 4]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %g = tosa.reshape %c, %sg : (tensor<1x8x4xf32>, !tosa.shape<4>) -> tensor<1x2x4x4xf32> loc("norm"("m.py":2:1))
  %s1 = tosa.reduce_sum %g {axis = 2 : i32} : (tensor<1x2x4x4xf32>) -> tensor<1x2x1x4xf32> loc("norm"("m.py":2:1))
  %s2 = tosa.reduce_sum %s1 {axis = 3 : i32} : (tensor<1x2x1x4xf32>) -> tensor<1x2x1x1xf32> loc("norm"("m.py":2:1))
  %inv = "tosa.const"() <{values = dense<6.250000e-02> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32> loc("norm"("m.py":2:1))
  %mean = tosa.mul %s2, %inv, %shift : (tensor<1x2x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1xi8>) -> tensor<1x2x1x1xf32> loc("norm"("m.py":2:1))
  %centred = tosa.sub %g, %mean : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x4x4xf32> loc("norm"("m.py":2:1))
  %sc = tosa.const_shape {values = dense<[1, 8, 4]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %back = tosa.reshape %centred, %sc : (tensor<1x2x4x4xf32>, !tosa.shape<3>) -> tensor<1x8x4xf32> loc("norm"("m.py":2:1))
  %t = tosa.transpose %back {perms = array<i32: 0, 2, 1>} : (tensor<1x8x4xf32>) -> tensor<1x4x8xf32> loc("norm"("m.py":2:1))
  %w2 = "tosa.const"() <{values = dense<[[[0.5, -0.2, 0.1], [0.3, 0.9, -0.4], [-0.7, 0.2, 0.6], [0.2, -0.3, 0.8], [0.1, 0.4, -0.6], [0.9, -0.1, 0.2], [-0.3, 0.5, 0.7], [0.6, 0.1, -0.3]]]> : tensor<1x8x3xf32>}> : () -> tensor<1x8x3xf32> loc("head.0"("m.py":3:1))
  %y = tosa.matmul %t, %w2, %zp, %zp : (tensor<1x4x8xf32>, tensor<1x8x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x3xf32> loc("head.0"("m.py":3:1))
  return %y : tensor<1x4x3xf32>
}
