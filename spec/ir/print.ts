import { formatShape } from './broadcast.js';
import type { Graph, Node } from './types.js';

function describe(node: Node): string {
  const type = `${node.dtype}${formatShape(node.shape)}`;
  switch (node.kind) {
    case 'input':
      return `%${node.id} = input ${node.name}: ${type}`;
    case 'const':
      return `%${node.id} = const ${node.value}: ${type}`;
    case 'op':
      return `%${node.id} = ${node.op}(${node.args.map((a) => `%${a}`).join(', ')}): ${type}`;
    case 'transpose':
      return `%${node.id} = transpose(%${node.args[0]}): ${type}`;
    case 'call':
      return (
        `%${node.id} = call ${node.kernel}[${node.configKey}: blocks ${formatShape(node.config.blockSizes)}` +
        `${node.settings.fusion ? '' : ', no fusion'}](${node.args.map((a) => `%${a}`).join(', ')}): ${type}`
      );
  }
}

/** One line per node, then the outputs: the form failing cases print. */
export function printGraph(graph: Graph): string {
  const lines = graph.nodes.map(describe);
  lines.push(`return ${graph.outputs.map((o) => `%${o}`).join(', ')}`);
  return lines.join('\n');
}
