// Reading our DDEX acknowledgement files back in tests: a strict, namespace-aware parse into a
// small tree (sax, as our DDEX reader), and the element order the ERN-C 1.8 SFTP schema
// (ern-choreography-sftp.xsd, AcknowledgementMessage) requires, checked by hand because the
// schema itself is not ours to ship.
import { readFileSync } from 'node:fs';
import sax from 'sax';

export interface Node {
  name: string;
  uri: string;
  attributes: Record<string, string>;
  children: Node[];
  text: string;
}

export function parseXml(xml: string): Node {
  const parser = sax.parser(true, { xmlns: true });
  const stack: Node[] = [];
  let root: Node | undefined;
  parser.onopentag = (tag) => {
    const t = tag as sax.QualifiedTag;
    const node: Node = { name: t.local, uri: t.uri, attributes: Object.fromEntries(Object.entries(t.attributes).map(([k, a]) => [k, a.value])), children: [], text: '' };
    stack.at(-1)?.children.push(node);
    stack.push(node);
    root ??= node;
  };
  parser.ontext = (text) => { const top = stack.at(-1); if (top) top.text += text; };
  parser.onclosetag = () => void stack.pop();
  parser.write(xml).close();
  return root!;
}

export function child(node: Node, ...names: string[]): Node | undefined {
  let at: Node | undefined = node;
  for (const name of names) at = at?.children.find((c) => c.name === name);
  return at;
}

/** Children's names, in document order, must follow `order` (names may be absent or repeat where the schema allows). */
function inOrder(node: Node, order: string[]): void {
  let last = -1;
  for (const c of node.children) {
    const at = order.indexOf(c.name);
    if (at < 0 || at < last) throw new Error(`${node.name}: ${c.name} out of the schema's order (${order.join(', ')})`);
    last = at;
  }
}

export const ACK_NAMESPACE = 'http://ddex.net/xml/ern-c-sftp/18';

/** Parses an acknowledgement file and checks its structure against the schema's sequences. */
export function readAck(file: string): Node {
  const root = parseXml(readFileSync(file, 'utf8'));
  if (root.name !== 'AcknowledgementMessage' || root.uri !== ACK_NAMESPACE) throw new Error(`root ${root.uri}:${root.name}`);
  if (!root.attributes.AvsVersionId) throw new Error('no AvsVersionId');
  inOrder(root, ['MessageHeader', 'ReleaseStatus']);
  const header = child(root, 'MessageHeader')!;
  inOrder(header, ['MessageThreadId', 'MessageId', 'MessageFileName', 'MessageSender', 'SentOnBehalfOf', 'MessageRecipient', 'MessageCreatedDateTime', 'MessageAuditTrail', 'MessageControlType']);
  for (const name of ['MessageId', 'MessageSender', 'MessageRecipient', 'MessageCreatedDateTime']) if (!child(header, name)) throw new Error(`MessageHeader lacks ${name}`);
  for (const status of root.children.filter((c) => c.name === 'ReleaseStatus')) {
    inOrder(status, ['ReleaseId', 'ReleaseStatus', 'ErrorText', 'ProposedActionType', 'ManualCheckRequired', 'AffectedResource', 'Acknowledgement', 'Claimant']);
    for (const ack of status.children.filter((c) => c.name === 'Acknowledgement')) {
      inOrder(ack, ['MessageType', 'BatchId', 'MessageId', 'MessageStatus']);
      if (!child(ack, 'MessageStatus')) throw new Error('Acknowledgement lacks MessageStatus');
      for (const s of ack.children.filter((c) => c.name === 'MessageStatus')) inOrder(s, ['Status', 'Information']);
    }
  }
  return root;
}

/** The acknowledgement's Acknowledgement composite and its MessageStatus list as [Status, Information]. */
export function ackSummary(root: Node) {
  const release = child(root, 'ReleaseStatus')!;
  const ack = child(release, 'Acknowledgement')!;
  return {
    threadId: child(root, 'MessageHeader', 'MessageThreadId')?.text,
    sender: child(root, 'MessageHeader', 'MessageSender', 'PartyId')?.text,
    recipient: child(root, 'MessageHeader', 'MessageRecipient', 'PartyId')?.text,
    releaseStatus: child(release, 'ReleaseStatus')?.text,
    errorText: child(release, 'ErrorText')?.text,
    messageType: child(ack, 'MessageType')?.text,
    batchId: child(ack, 'BatchId')?.text,
    messageId: child(ack, 'MessageId')?.text,
    statuses: ack.children.filter((c) => c.name === 'MessageStatus').map((s) => [child(s, 'Status')!.text, child(s, 'Information')?.text ?? '']),
  };
}
