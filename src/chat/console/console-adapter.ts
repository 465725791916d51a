/**
 * The console adapter (DESIGN.md §7, C7): the bot's chat commands in a terminal, on the same command specs and
 * reply builders as Slack — and the test harness (STYLE.md §3): `await bot.say('sre-1', 'plan stage kyma-test')`,
 * then `bot.lastReply()`.
 *
 * One input per line. `#` starts a comment (outside quotes); `/as USER` switches identity (to try approvals);
 * the `/istio-migrate` prefix is optional; `/click <label or number>` presses a button of the last message that
 * still has one; `/wait [SECONDS]` waits until no wave is running. `$PLAN` stands for the hash of the last plan
 * shown (scripts cannot know it in advance).
 *
 * Long commands (`run`, `resume`, `retry-failed`, the Run button) work in the background: the line returns once
 * the wave has started (or the command was refused), progress-bar lines follow at most every ~2 s per wave, and a
 * summary when the wave ends. Everything but the progress-bar lines (`» …`) is deterministic for a given
 * landscape: no timestamps unless asked for.
 *
 * Limitations: identity is whatever `/as` says — approvals by the console are accepted only on a simulated
 * landscape (the `approve` command enforces it); user-group approvers cannot be looked up here.
 */
import { dispatch, type CommandContext, type CommandResult } from '../../../commands/index.js';
import type { Services } from '../../app/services.js';
import type { EnvName } from '../../config/config.js';
import type { WaveEvent } from '../../rollout/wave-runner.js';
import { ACTIVE_WAVE_STATES } from '../../journal/ids-and-states.js';
import { effectiveState } from '../../rollout/wave-status.js';
import { parseCommandLine } from '../command-line.js';
import { buttonsOf, codeBlock, inlineCode, mention, type ChatButton, type ChatMessage } from '../message.js';
import { ACTION, commandReply, helpReply, isPlanDocument, noteReply, planMessage, planRanText, problemReply, refusalReply } from '../replies.js';
import { waveOfPlan } from '../../rollout/plan-runs.js';
import { count } from '../../text/words.js';
import { approvalRequest, APPROVE_ACTION } from './approval-message.js';
import { CONFIRM_ACTION, needsConfirmation, proceedQuestion, WAVE_DRIVERS, type PendingConfirm } from './confirm.js';
import { findChoice, renderText } from './text.js';
import { WaveFollower } from './wave-follower.js';

/** What the console prints: an echoed input, a reply, or a (timing-dependent) progress line. */
export type ConsoleOutputKind = 'input' | 'reply' | 'progress';

export interface ConsoleBotOptions {
  services: Services;
  /** The identity until `/as` changes it. */
  user?: string;
  /** Called with every piece of output as it happens (the CLI prints it); the transcript keeps it too. */
  write?: (text: string, kind: ConsoleOutputKind) => void;
  /** At most one progress line per wave this often (default 2,000 ms; `Infinity`: only the final summary). */
  progressIntervalMs?: number;
  /** Prefix replies with the time (off by default: scripts compare transcripts). */
  timestamps?: boolean;
  /** `/wait` without a limit gives up after this long (default 15 minutes). */
  waitLimitMs?: number;
  /**
   * A person at a terminal (the REPL, not a script): a change without `--yes` is asked about as a message with
   * Proceed / Cancel buttons (`/click Proceed`). Scripts (C7) keep needing `--yes`.
   */
  interactive?: boolean;
}

const DIRECTIVES = '/as USER, /click <label or number>, /wait [SECONDS], /quit';

/** A message with buttons, as shown; `settled` once its buttons were used up (like Slack's updated message). */
interface ShownMessage {
  msg: ChatMessage;
  settled: boolean;
}

/** The line without its comment: a `#` at the start or after whitespace, outside quotes. */
export function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#' && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i);
  }
  return line;
}

const sleep = (ms: number, opts: { unref?: boolean } = {}) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    if (opts.unref) t.unref();
  });

export class ConsoleBot {
  private identity: string;
  private readonly out: string[] = [];
  private last = '';
  private readonly shown: ShownMessage[] = [];
  private readonly background = new Set<Promise<void>>();
  private readonly waves: WaveFollower;
  private lastPlanHash?: string;
  private failures = 0;
  /** Commands waiting for Proceed / Cancel (interactive console), by number. */
  private readonly pendingConfirms = new Map<string, PendingConfirm>();
  private confirmSeq = 0;
  private readonly onEvent = (e: WaveEvent) => this.waves.follow(e);

  constructor(private readonly opts: ConsoleBotOptions) {
    this.identity = opts.user ?? 'console';
    this.waves = new WaveFollower({
      services: opts.services,
      intervalMs: opts.progressIntervalMs,
      progress: (text) => this.emit(text, 'progress'),
      reply: (msg) => this.reply(msg),
      track: (work) => this.track(work),
    });
    opts.services.events.on('event', this.onEvent);
  }

  /** The current identity (`/as`). */
  get user(): string {
    return this.identity;
  }

  /** How many inputs were refused or failed (exit code 1 of `istio-migrate console` when > 0). */
  get failed(): number {
    return this.failures;
  }

  /** Everything shown so far, inputs echoed as `user> line`. */
  transcript(): string {
    return this.out.join('\n');
  }

  /** The last reply (progress lines excluded). */
  lastReply(): string {
    return this.last;
  }

  /** One input as `user` (the current identity is left as it was). */
  async say(user: string, line: string): Promise<void> {
    const before = this.identity;
    this.identity = user;
    try {
      await this.input(line);
    } finally {
      if (this.identity === user) this.identity = before;
    }
  }

  /** One input as the current identity: a directive, a command line, a comment or nothing. */
  async input(raw: string): Promise<void> {
    const line = stripComment(raw).trim();
    if (!line) return;
    this.emit(`${this.identity}> ${line}`, 'input');
    const [word, ...rest] = line.split(/\s+/);
    switch (word) {
      case '/as':
        return this.switchIdentity(rest.join(' '));
      case '/click':
        return this.click(rest.join(' '));
      case '/wait':
        return this.wait(rest[0]);
      case '/quit':
      case '/exit':
        return;
      default:
        if (word.startsWith('/') && word !== '/istio-migrate') {
          this.failures++;
          return this.reply(problemReply(line, `unknown console directive ${word}. Directives: ${DIRECTIVES}; commands need no slash, e.g. plan stage kyma-test`));
        }
        return this.command(line);
    }
  }

  /** The waves running here or live in the journal (running or draining with a runner). */
  private async liveWaves(): Promise<string[]> {
    const journal = await this.opts.services.journal();
    const live = new Set(this.waves.following());
    for (const w of await journal.listWaves({ states: ['running', 'draining'] })) {
      const st = await effectiveState(journal, w);
      if (st === 'running' || st === 'draining') live.add(w.waveId);
    }
    return [...live].sort();
  }

  /**
   * At the end of the input (or `/quit`): says which waves it waits for before leaving, and how to stop instead,
   * then waits for them. Says nothing when nothing runs.
   */
  async leave(): Promise<void> {
    const live = this.background.size ? await this.liveWaves() : [];
    if (live.length) {
      this.reply(noteReply(`waiting for ${live.map((w) => this.waves.describe(w)).join(', ')} to end before leaving; Ctrl-C stops ${live.length === 1 ? 'it' : 'them'} now instead (interrupted, continue later with ${inlineCode(`resume ${live[0]}`)})`));
    }
    await this.wait(undefined, undefined, true);
  }

  /** Waves a previous session left without a runner (`interrupted`), as one line each; empty when none. */
  async interruptedWaves(): Promise<string[]> {
    const journal = await this.opts.services.journal();
    const out: string[] = [];
    for (const w of await journal.listWaves({ states: [...ACTIVE_WAVE_STATES] })) {
      if ((await effectiveState(journal, w)) !== 'interrupted') continue;
      const left = (await journal.listWaveRuntimes(w.waveId)).filter((r) => r.state !== 'finished').length;
      out.push(`interrupted wave ${w.waveId} (${w.env}, ${w.target.length > 60 ? `${w.target.slice(0, 59)}…` : w.target}): ${count(left, 'runtime')} not finished — resume ${w.waveId} to continue it, or abort ${w.waveId}`);
    }
    return out;
  }

  /** Resolves when no wave runs in this console (and no live wave of the journal is running or draining). */
  async wait(seconds?: string, limitMs = this.opts.waitLimitMs ?? 15 * 60_000, quiet = false): Promise<void> {
    if (seconds !== undefined && !/^\d+$/.test(seconds)) {
      this.failures++;
      return this.reply(problemReply(`/wait ${seconds}`, `/wait takes a number of seconds, e.g. /wait 120`));
    }
    if (!quiet && !this.background.size && !(await this.liveWaves()).length) {
      return this.reply(noteReply(`nothing is running: no wave to wait for (${inlineCode('status')} lists the waves)`));
    }
    const deadline = Date.now() + (seconds !== undefined ? Number(seconds) * 1000 : limitMs);
    const journal = await this.opts.services.journal();
    while (Date.now() < deadline) {
      if (this.background.size) {
        // The limit's timer must not keep the process (or a test run) alive once the waves ended.
        await Promise.race([Promise.allSettled([...this.background]), sleep(Math.max(0, deadline - Date.now()), { unref: true })]);
        continue;
      }
      const live = [];
      for (const w of await journal.listWaves({ states: ['running', 'draining'] })) {
        const st = await effectiveState(journal, w);
        if (st === 'running' || st === 'draining') live.push(w.waveId);
      }
      if (!live.length) return;
      await sleep(250);
    }
    this.failures++;
    this.reply(noteReply(`still running after ${Math.round((seconds !== undefined ? Number(seconds) * 1000 : limitMs) / 1000)} s; ${inlineCode('status')} shows where the waves stand`));
  }

  /** Stops following the event stream (the services stay open: they are the caller's). */
  close(): void {
    this.opts.services.events.off('event', this.onEvent);
  }

  // ---- output ----

  private emit(text: string, kind: ConsoleOutputKind): void {
    const shown = this.opts.timestamps && kind !== 'input' ? `[${new Date().toISOString()}] ${text}` : text;
    this.out.push(shown);
    if (kind === 'reply') this.last = text;
    this.opts.write?.(shown, kind);
  }

  private reply(msg: ChatMessage): void {
    if (buttonsOf(msg).length) this.shown.push({ msg, settled: false });
    this.emit(renderText(msg), 'reply');
  }

  // ---- directives ----

  private switchIdentity(user: string): void {
    if (!/^[A-Za-z0-9._@-]{1,64}$/.test(user)) {
      this.failures++;
      return this.reply(problemReply(`/as ${user}`, '/as needs a user name (letters, digits, . _ @ -), e.g. /as oncall-1'));
    }
    this.identity = user;
    this.reply(noteReply(`now acting as ${mention(user)}`));
  }

  private async click(choice: string): Promise<void> {
    const target = [...this.shown].reverse().find((s) => !s.settled && buttonsOf(s.msg).length);
    if (!target) {
      this.failures++;
      return this.reply(problemReply(`/click ${choice}`, 'no message with buttons to click; plan something first, e.g. stage kyma-test'));
    }
    const button = choice ? findChoice(target.msg, choice) : undefined;
    if (!button) {
      this.failures++;
      const options = buttonsOf(target.msg).map((b, i) => `${i + 1} ${b.label}`).join(', ');
      return this.reply(problemReply(`/click ${choice}`, `no button "${choice}" on the last message with buttons (${options}); e.g. /click 1`));
    }
    await this.press(target, button);
  }

  private async press(target: ShownMessage, button: ChatButton): Promise<void> {
    const user = this.identity;
    const services = this.opts.services;
    if (button.actionId === ACTION.cancel) {
      // The `cancel` command: a journal record (the plan does not run until it is planned again).
      const before = this.failures;
      await this.runCommand(`cancel ${button.value.slice(0, 12)}`, 'cancel', [button.value]);
      if (this.failures === before) target.settled = true;
      return;
    }
    if (button.actionId.startsWith(ACTION.requestApproval)) {
      const plan = await (await services.journal()).getPlan(button.value);
      if (!plan) return this.reply(noteReply(`no stored plan ${inlineCode(button.value.slice(0, 12))}`));
      target.settled = true;
      return this.reply(approvalRequest(user, plan.hash, plan.env, plan.target));
    }
    if (button.actionId.startsWith(CONFIRM_ACTION.proceed) || button.actionId.startsWith(CONFIRM_ACTION.cancel)) {
      const pending = this.pendingConfirms.get(button.value);
      target.settled = true;
      this.pendingConfirms.delete(button.value);
      if (!pending) return this.reply(noteReply('nothing is waiting for this answer any more'));
      if (button.actionId.startsWith(CONFIRM_ACTION.cancel)) return this.reply(noteReply(`${inlineCode(pending.shown)} cancelled by ${mention(user)}: nothing changed`));
      return this.runCommand(`${pending.shown} (confirmed)`, pending.name, [...pending.argv, '--yes']);
    }
    if (button.actionId.startsWith(APPROVE_ACTION)) {
      // The approval names who asked for it (the action id's tail): only they run the wave it is good for.
      const requester = button.actionId.slice(APPROVE_ACTION.length).split(':')[1];
      const args = [button.value, ...(requester ? ['--for', requester] : [])];
      return this.runCommand(`approve ${button.value.slice(0, 12)} (button)`, 'approve', args);
    }
    if (button.actionId.startsWith(ACTION.run)) {
      const hash = button.value;
      const journal = await services.journal();
      const plan = await journal.getPlan(hash);
      if (!plan) return this.reply(noteReply(`no stored plan ${inlineCode(hash.slice(0, 12))}: plan again (e.g. ${inlineCode('stage kyma-test')})`));
      const ran = await waveOfPlan(journal, plan);
      if (ran) {
        target.settled = true;
        return this.reply(noteReply(planRanText(hash, ran)));
      }
      return this.runCommand(`run --plan ${hash.slice(0, 12)} (button)`, 'run', ['--plan', hash, '--yes'], () => (target.settled = true));
    }
    this.reply(noteReply(`this button (${inlineCode(button.actionId)}) does nothing in the console`));
  }

  // ---- commands ----

  private ctx(user: string): CommandContext {
    return { user, via: 'console', interactive: false, services: this.opts.services };
  }

  private async command(line: string): Promise<void> {
    const services = this.opts.services;
    const expanded = line.replace(/\$PLAN\b/g, this.lastPlanHash ?? '$PLAN');
    const shown = expanded.replace(/^\/istio-migrate\s*/, '');
    const parsed = parseCommandLine(expanded, services.envs());
    if (parsed.kind === 'invalid') {
      this.failures++;
      return this.reply(problemReply(shown, `${parsed.problem}\nexample: ${parsed.example}`));
    }
    if (parsed.kind === 'empty' || parsed.name === 'help') {
      const argv = parsed.kind === 'empty' ? [] : parsed.argv;
      const help = await dispatch(this.ctx(this.identity), 'help', argv);
      if (help.exitCode !== 0) {
        this.failures++;
        return this.reply(problemReply(shown, help.text));
      }
      if (argv.length) return this.reply(noteReply(codeBlock(help.text)));
      const msg = helpReply(help.text);
      return this.reply({ ...msg, blocks: [...msg.blocks, { type: 'context', elements: [`console: ${DIRECTIVES}; ${inlineCode('$PLAN')} is the last plan's hash`] }] });
    }
    if (line.includes('$PLAN') && !this.lastPlanHash) {
      this.failures++;
      return this.reply(problemReply(shown, '$PLAN is the hash of the last plan shown, and there is none yet; plan first, e.g. plan prod kyma-test --sample 2'));
    }
    await this.runCommand(shown, parsed.name, parsed.argv);
  }

  /**
   * Dispatches a command as the current identity and shows its reply. Wave drivers run in the background: this
   * returns once their wave started (`onStarted` is called) or they ended without one.
   */
  private async runCommand(shown: string, name: string, argv: string[], onStarted?: () => void): Promise<void> {
    const user = this.identity;
    if (this.opts.interactive && needsConfirmation(name, argv)) return this.askToProceed(shown, name, argv);
    const json = argv.includes('--json');
    const show = (result: CommandResult) => {
      // Refused by the dispatcher for want of a permission (commands/permissions.ts).
      if (result.denied) {
        this.failures++;
        return this.reply(refusalReply(shown, result.denied));
      }
      if (result.exitCode === 1 || result.exitCode === 2) {
        this.failures++;
        return this.reply(problemReply(shown, result.text));
      }
      if (name === 'plan' && !json && isPlanDocument(result.json)) {
        const doc = result.json;
        this.lastPlanHash = doc.hash;
        return this.reply(planMessage({ hash: doc.hash, env: doc.env, target: doc.title ?? doc.target, runtimes: doc.runtimes.length }, result.text, user, this.opts.services.approvalRequired(doc.env as EnvName)));
      }
      this.reply(commandReply(shown, user, json ? JSON.stringify(result.json, null, 2) : result.text));
    };
    const failed = (e: unknown) => {
      this.failures++;
      this.reply(problemReply(shown, `failed: ${(e as Error).message}`));
    };
    if (!WAVE_DRIVERS.has(name)) {
      try {
        return show(await dispatch(this.ctx(user), name, argv));
      } catch (e) {
        return failed(e);
      }
    }
    // A wave driver: wait for its wave to start (or for it to end without one), then leave it in the background.
    let started: ((waveId: string) => void) | undefined;
    const waveStarted = new Promise<string>((resolve) => (started = resolve));
    const onEvent = (e: WaveEvent) => {
      if (e.type === 'wave-started') started?.(e.waveId);
    };
    this.opts.services.events.on('event', onEvent);
    let startedWave: string | undefined;
    const work = dispatch(this.ctx(user), name, argv).then(
      (result) => {
        // Ended without starting: its answer is the reply. Started: the summary told the outcome; refusals and
        // `--json` documents are shown all the same.
        if (startedWave === undefined || result.exitCode === 1 || result.exitCode === 2 || json) show(result);
      },
      failed,
    );
    const tracked = work.finally(() => {
      this.background.delete(tracked);
      this.opts.services.events.off('event', onEvent);
    });
    this.background.add(tracked);
    const first = await Promise.race([waveStarted, tracked.then(() => undefined)]);
    if (first !== undefined) {
      startedWave = first;
      this.opts.services.events.off('event', onEvent);
      onStarted?.();
 const journal = await this.opts.services.journal();
      const wave = await journal.getWave(first);
      const rts = await journal.listWaveRuntimes(first);
      const total = rts.length;
      // A resume or retry runs only what is left: say that, not the wave's size.
      const left = rts.filter((r) => r.state !== 'finished').length;
      const what = name === 'run' ? count(total, 'runtime') : `${left} of its ${count(total, 'runtime')} to run`;
      this.reply(noteReply(`wave ${inlineCode(first)} ${name === 'run' ? 'started' : name === 'resume' ? 'resumed' : 'retry started'} by ${mention(user)} — ${what}${wave ? `, concurrency ${wave.concurrency}` : ''}; ${inlineCode('/wait')} waits for it, ${inlineCode(`pause ${first}`)} / ${inlineCode(`abort ${first}`)} steer it`));
    }
  }

  /** Asks before a change (interactive console, confirm.ts); Proceed runs what the question showed. */
  private async askToProceed(shown: string, name: string, argv: string[]): Promise<void> {
    const id = String(this.confirmSeq + 1);
    const q = await proceedQuestion(this.ctx(this.identity), shown, name, argv, id);
    if ('problem' in q) {
      this.failures++;
      return this.reply(q.problem);
    }
    if (q.planHash) this.lastPlanHash = q.planHash;
    this.confirmSeq++;
    this.pendingConfirms.set(id, q.pending);
    this.reply(q.question);
  }

  private track(work: Promise<void>): void {
    const p: Promise<void> = work
      .catch((e: unknown) => this.emit(`(console: ${(e as Error).message})`, 'reply'))
      .finally(() => this.background.delete(p));
    this.background.add(p);
  }
}
