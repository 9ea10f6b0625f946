// torch-mlir's TOSA output gives many weights loc(unknown); they take the
// component of the ops that use them. Shared scalar and shape constants
// (used by several components) get no tag.
// RUN: %mcprune-opt --component-tag %fixtures/tdmpc_small.tosa.mlir | FileCheck %s

// CHECK: "tosa.const"() <{values = dense_resource<torch_tensor_32_96_torch.float32_1> : tensor<32x96xf32>}> {mcprune.component = "dynamics"}
// CHECK: %[[ZP:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
// CHECK: tosa.const_shape {values = dense<[2, 96]> : tensor<2xindex>} : () -> !tosa.shape<2>
