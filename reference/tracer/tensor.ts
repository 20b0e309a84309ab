import { WgfuseError } from '../../spec/index.js';
import type { BinaryOp, DType, GraphBuilder, NodeId, Shape, UnaryOp } from '../../spec/index.js';
import type { Traced } from '../registry/registry.js';

/**
 * A proxy tensor: every method records a node instead of computing. Using its value (a comparison, `+`,
 * a template string) is control flow on tensor data, which a trace cannot see, so it throws
 * ([trace.control.1]). `if (t)` cannot be intercepted in JavaScript: objects are always truthy.
 */
export class Tensor implements Traced {
  constructor(
    readonly builder: GraphBuilder,
    readonly id: NodeId,
  ) {}

  derive(id: NodeId): this {
    return new Tensor(this.builder, id) as this;
  }

  get shape(): Shape {
    return this.builder.node(this.id).shape;
  }

  get dtype(): DType {
    return this.builder.node(this.id).dtype;
  }

  add(other: Tensor | number): Tensor {
    return this.binary('add', other);
  }
  sub(other: Tensor | number): Tensor {
    return this.binary('sub', other);
  }
  mul(other: Tensor | number): Tensor {
    return this.binary('mul', other);
  }
  div(other: Tensor | number): Tensor {
    return this.binary('div', other);
  }
  maximum(other: Tensor | number): Tensor {
    return this.binary('maximum', other);
  }
  minimum(other: Tensor | number): Tensor {
    return this.binary('minimum', other);
  }
  neg(): Tensor {
    return this.unary('neg');
  }
  abs(): Tensor {
    return this.unary('abs');
  }
  relu(): Tensor {
    return this.unary('relu');
  }
  exp(): Tensor {
    return this.unary('exp');
  }
  log(): Tensor {
    return this.unary('log');
  }
  sqrt(): Tensor {
    return this.unary('sqrt');
  }
  tanh(): Tensor {
    return this.unary('tanh');
  }
  sigmoid(): Tensor {
    return this.unary('sigmoid');
  }

  /** This tensor as `dtype`: a cast op ([ir.dtype.2]), or this tensor when it already is one. */
  cast(dtype: DType): Tensor {
    if (dtype === this.dtype) return this;
    if (dtype !== 'f16' && dtype !== 'f32') throw new WgfuseError('ir.dtype.1', `%${this.id}: cannot cast to dtype ${String(dtype)}. hint: the dtypes are f32, f16`);
    return this.unary(dtype === 'f16' ? 'cast_f16' : 'cast_f32');
  }
  half(): Tensor {
    return this.cast('f16');
  }
  float(): Tensor {
    return this.cast('f32');
  }

  /** The last two dimensions swapped: not elementwise, so what it reads is materialized. */
  transpose(): Tensor {
    return this.derive(this.builder.transpose(this.id));
  }

  unary(op: UnaryOp): Tensor {
    return this.derive(this.builder.op(op, [this.id]));
  }

  binary(op: BinaryOp, other: Tensor | number): Tensor {
    return this.derive(this.builder.op(op, [this.id, this.operand(op, other)]));
  }

  [Symbol.toPrimitive](hint: string): never {
    throw new WgfuseError(
      'trace.control.1',
      `%${this.id}: a traced tensor was used as a ${hint === 'default' ? 'primitive' : hint} value ` +
        '(a comparison, arithmetic operator or string). Control flow on tensor values cannot be traced. ' +
        'hint: use tensor methods such as .add(), .maximum(), .relu()',
    );
  }

  private operand(op: BinaryOp, other: Tensor | number): NodeId {
    // A number takes the tensor's dtype, as a Python scalar does in PyTorch.
    if (typeof other === 'number') return this.builder.constant(other, this.dtype);
    if (other instanceof Tensor && other.builder === this.builder) return other.id;
    throw new WgfuseError('trace.operand.1', `${op}(%${this.id}, ?): the second operand is not a number or a tensor of this trace`);
  }
}
