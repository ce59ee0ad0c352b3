/**
 * The PyTorch engine: {@link ai.peft4j.api.ops.Ops} computed eagerly on DJL NDArrays, with
 * autograd for training. CPU by default; a CUDA device when DJL reports one.
 */
package ai.peft4j.engine.pytorch;
