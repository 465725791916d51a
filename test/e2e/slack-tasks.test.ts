import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FakeSlack} from '../helpers/fake-slack.js';
import { buttonPayload, slashPayload, type Json } from '../helpers/fake-slack.js';
import { runtimeOf, simRequest, type TestSim } from '../helpers/sim.js';
import { type TestBot, closeSlackSetup, startSlackSetup } from './harness.js';

const CUSTOMER = 'C-CUSTOMER';
const texts = (blocks: Json[]) => blocks.flatMap((b: Json) => [b.text?.text ?? '', ...(b.fields ?? []).map((f: Json) => f.text), ...(b.elements ?? []).map((e: Json) => e.text ?? '')]).join('\n');
const actionsOf = (m: Json) => m.blocks.filter((b: Json) => b.type === 'actions').flatMap((b: Json) => b.elements);

describe('src/chat/slack/wave-reporter.ts — a customer-contact task from a custom-cr runtime through to the rename (Socket Mode)', () => {
  let sim: TestSim;
  let fake: FakeSlack;
  let t: TestBot;

  beforeAll(async () => {
    ({ sim, fake, t } = await startSlackSetup({ mode: 'socket', config: (cfg) => (cfg.chat = { customerContactChannel: CUSTOMER }) }));
    await fake.connected();
  });
  afterAll(() => closeSlackSetup({ t, fake, sim }));

  async function push(kind: 'slash_commands' | 'interactive', payload: Json) {
    fake.reset();
    await fake.push(kind, payload);
    await t.bot.idle();
  }

  it('opens the task once, posts it with the Istio CRs and what to propose, lists it, and renames on Customer agreed', async () => {
    const custom = runtimeOf(sim.out, 'dev', 'custom-cr');
    await push('slash_commands', slashPayload(`dev runtime-id=${custom.runtimeId}`, { user: 'U1', channel: 'C-DEV' }));
    const plan = structuredClone([...fake.messages.values()].find((m) => m.text.startsWith('Plan '))!);
    await push('interactive', buttonPayload(plan, actionsOf(plan)[0].action_id, 'U1'));
    const journal = await t.services.journal();
    const [task] = await journal.listTasks();
    expect(task).toMatchObject({ runtimeId: custom.runtimeId, state: 'open', shootName: custom.shootName, globalAccountId: custom.globalAccountId, subaccountId: custom.subaccountId });
    const posts = fake.callsTo('chat.postMessage').filter((c) => c.body.channel === CUSTOMER);
    expect(posts).toHaveLength(1);
    const shown = texts(posts[0].body.blocks);
    for (const s of [custom.runtimeId, custom.shootName, custom.globalAccountId, custom.subaccountId, 'Propose to the customer', task.message.slice(0, 40)]) expect(shown).toContain(s);
    for (const cr of task.istioCrs) expect(shown).toContain(cr.name);
    expect(actionsOf(posts[0].body).map((e: Json) => e.text.text)).toEqual(['Customer agreed', 'Declined', 'Resolved']);
    expect(actionsOf(posts[0].body)[0].confirm).toBeDefined();
    // Linked in the wave's thread.
    const waveRef = (await journal.chatMessage('wave', task.waveId!))!;
    expect(fake.callsTo('chat.postMessage').filter((c) => c.body.thread_ts === waveRef.ts).map((c) => texts(c.body.blocks)).join('\n')).toContain(`\`${task.taskId}\` in <#${CUSTOMER}>`);

    await push('slash_commands', slashPayload('tasks open', { user: 'U1', channel: 'C-DEV' }));
    expect(texts(fake.callsTo('chat.postMessage')[0].body.blocks)).toContain(`${task.taskId} open dev ${custom.runtimeId}`);

    // Declined is journaled with who; then the customer agrees after all and the rename runs (Dev: no approval).
    const ref = (await journal.chatMessage('task', task.taskId))!;
    await push('interactive', buttonPayload(fake.message(ref.channel, ref.ts)!, `im:task-declined:${task.taskId}`, 'U2'));
    expect(await journal.getTask(task.taskId)).toMatchObject({ state: 'declined', updatedBy: 'U2' });
    expect(texts(fake.message(ref.channel, ref.ts)!.blocks)).toContain('state *declined* · by <@U2>');
    await push('interactive', buttonPayload(structuredClone(fake.message(ref.channel, ref.ts)!), `im:task-agreed:${task.taskId}`, 'U3'));
    expect(await journal.getTask(task.taskId)).toMatchObject({ state: 'renamed', updatedBy: 'U3' });
    const istios = await simRequest(sim, custom.runtimeId, '/apis/operator.kyma-project.io/v1alpha2/namespaces/kyma-system/istios');
    expect(istios.json.items.map((i: Json) => i.metadata.name)).toEqual(['default']);
    const thread = fake.callsTo('chat.postMessage').filter((c) => c.body.thread_ts === ref.ts).map((c) => texts(c.body.blocks)).join('\n');
    expect(thread).toContain('customer agreed — recorded by <@U3>');
    expect(thread).toMatch(/renamed — Istio CR default now carries the configuration/);
    expect((await journal.listAudit({ subject: task.taskId })).map((a) => `${a.action}:${a.actor}`)).toEqual(expect.arrayContaining(['task-declined:U2', 'task-agreed:U3', 'task-renamed:U3']));
    expect(fake.unexpected).toEqual([]);
  });
});
