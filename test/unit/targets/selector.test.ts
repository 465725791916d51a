import { describe, expect, it } from '@jest/globals';
import { evaluate, matches, parseTargets, SelectorError, type SelectableRuntime } from '../../../src/targets/selector.js';

const KT = '11111111-aaaa-4aaa-8aaa-111111111111';
const KI = '22222222-bbbb-4bbb-8bbb-222222222222';
const SETS: Record<string, string[]> = {
  'kyma-test': [`account=${KT}`],
  'kyma-integration': [`account=${KI}`],
  trial: ['plan=trial'],
  canary: ['all'],
  early: ['kyma-test', 'kyma-integration'],
  deeper: ['early'],
  selfish: ['selfish'],
};

function rt(over: Partial<SelectableRuntime> = {}): SelectableRuntime {
  return {
    runtimeId: 'rt-1',
    instanceId: 'inst-1',
    shootName: 'c-abc123',
    globalAccountId: KT,
    subaccountId: 'sub-1',
    plan: 'aws',
    region: 'eu-central-1',
    ...over,
  };
}

describe('src/targets/selector.ts', () => {
  describe('parseTargets: good input', () => {
    it.each<[string, string[], string[], string]>([
      ['all', ['all'], [], 'all'],
      ['one key', ['region=eu-.*'], [], 'region=eu-.*'],
      ['AND, keys sorted', ['plan=aws,account=abc'], [], 'account=abc,plan=aws'],
      ['spaces around conditions', [' plan=aws , region=eu-west-1 '], [], 'region=eu-west-1,plan=aws'],
      ['union sorted and deduped', ['plan=trial', 'account=abc', 'plan=trial'], [], 'account=abc | plan=trial'],
      ['all absorbs the union', ['plan=trial', 'all'], [], 'all'],
      ['comma inside {m,n} stays in the regex', ['region=eu-.{1,3},plan=gcp'], [], 'region=eu-.{1,3},plan=gcp'],
      ['comma inside a class', ['shoot=c-[a,b].*'], [], 'shoot=c-[a,b].*'],
      ['alternation', ['region=(eu|us)-.*'], [], 'region=(eu|us)-.*'],
      ['exclude', ['all'], ['region=us-.*'], 'all except region=us-.*'],
      ['named set', ['kyma-test'], [], `account=${KT}`],
      ['named set of sets (one level)', ['early'], [], `account=${KT} | account=${KI}`],
      ['named set as exclude', ['all'], ['kyma-test'], `all except account=${KT}`],
      ['every key', ['subaccount=s.*,runtime-id=r,instance-id=i,shoot=c-.*'], [], 'subaccount=s.*,runtime-id=r,instance-id=i,shoot=c-.*'],
      ['sap-converged-cloud plan', ['plan=sap-converged-cloud'], [], 'plan=sap-converged-cloud'],
    ])('%s', (_, specs, excludes, canonical) => {
      const spec = parseTargets({ specs, excludes, namedSets: SETS });
      expect(spec.canonical).toBe(canonical);
      expect(spec.written).toEqual({ specs, excludes });
      expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
    });

    it('gives the same canonical form however the same target is written', () => {
      const a = parseTargets({ specs: ['plan=aws,region=eu-.*', 'kyma-test'], excludes: [], namedSets: SETS });
      const b = parseTargets({ specs: [`account=${KT}`, 'region=eu-.*,plan=aws,plan=aws'], excludes: [], namedSets: SETS });
      expect(a.canonical).toBe(b.canonical);
      expect(a.include).toEqual(b.include);
    });
  });

  describe('parseTargets: bad input', () => {
    it.each<[string, string[], string[], RegExp]>([
      ['unknown key, suggestion', ['acount=abc'], [], /^unknown selector key "acount" in "acount=abc" \(did you mean account=\?\): use one of all, account=, subaccount=, region=, plan=, runtime-id=, instance-id=, shoot=; e\.g\. account=\.\*Kyma-Test\.\*$/],
      ['unknown key, no suggestion', ['platform=aws'], [], /^unknown selector key "platform" in "platform=aws": use one of all, account=/],
      ['upper-case key', ['Region=eu'], [], /unknown selector key "Region".*did you mean region=/],
      ['bad regex', ['region=eu-('], [], /^invalid regular expression in "region=eu-\(": missing \); e\.g\. region=eu-\.\*$/],
      ['bad regex in AND', ['plan=aws,account=*x'], [], /^invalid regular expression in "account=\*x": no argument for repetition operator: \*/],
      ['empty value', ['account='], [], /^empty value in "account=": e\.g\. account=/],
      ['empty value in AND', ['plan=aws,region='], [], /^empty value in "region="/],
      ['all excluded', ['all'], ['all'], /^"all" cannot be excluded: exclude a selector instead, e\.g\. account=/],
      ['all excluded via a set', ['kyma-test'], ['canary'], /^"all" cannot be excluded \(via set canary\)/],
      ['all in AND', ['all,plan=aws'], [], /^"all" cannot be combined with other keys in "all,plan=aws"/],
      ['empty spec', [''], [], /^empty target/],
      ['stray comma', ['plan=aws,'], [], /^empty condition in "plan=aws," \(a stray comma\?\)/],
      ['word in AND', ['plan=aws,kyma-test'], [], /^"kyma-test" in "plan=aws,kyma-test" is not key=value/],
      ['unknown set', ['kyma-tset'], [], /^unknown target set "kyma-tset": known sets: canary, deeper, early, kyma-integration, kyma-test, selfish, trial; or a selector such as account=/],
      ['unknown set in exclude', ['all'], ['nope'], /^unknown target set "nope"/],
      ['not a word', ['Kyma Test'], [], /^"Kyma Test" is neither a target set nor key=value/],
      ['set nested too deep', ['deeper'], [], /^target set "early" names set "kyma-test" \(via deeper → early\): sets may name other sets only one level deep/],
      ['set names itself', ['selfish'], [], /^target set "selfish" names itself/],
      ['no specs', [], [], /^no target given/],
    ])('%s', (_, specs, excludes, message) => {
      let caught: unknown;
      try {
        parseTargets({ specs, excludes, namedSets: SETS });
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(SelectorError);
      expect((caught as SelectorError).code).toBe('bad-selector');
      expect((caught as Error).message).toMatch(message);
    });

    it('lists that there are no sets when the environment has none', () => {
      expect(() => parseTargets({ specs: ['kyma-test'], excludes: [], namedSets: {} })).toThrow('unknown target set "kyma-test": this environment has no named sets');
    });
  });

  describe('a linear-time engine (issue 14: one regex must not freeze the bot)', () => {
    it.each([
      ['(.*)*x'],
      ['(a+)+$'],
      ['(a|aa)*b'],
      ['(.*a){25}'],
      ['((a*)*)*c'],
      ['(x+x+)+y'],
    ])('matches %s against a long value, still full-match, without backtracking', (pattern) => {
      const spec = parseTargets({ specs: [`runtime-id=${pattern}`] });
      // A value on which a backtracking engine takes exponential (or huge polynomial) time; RE2 takes linear time. The
      // test has no timer: under a backtracking engine it would not end within jest's timeout.
      expect(matches(spec, rt({ runtimeId: 'a'.repeat(32) + '!' }))).toBe(false);
      expect(matches(spec, rt({ runtimeId: 'a'.repeat(50_000) + '!' }))).toBe(false);
    });

    it('keeps full-match semantics (DESIGN.md §5)', () => {
      expect(matches(parseTargets({ specs: ['runtime-id=(.*)*x'] }), rt({ runtimeId: 'abcx' }))).toBe(true);
      expect(matches(parseTargets({ specs: ['runtime-id=(.*)*x'] }), rt({ runtimeId: 'abcxy' }))).toBe(false);
      expect(matches(parseTargets({ specs: ['region=eu-.{1,3}'] }), rt({ region: 'eu-x' }))).toBe(true);
    });

    it.each([
      ['lookahead', 'account=(?=a).*'],
      ['backreference', 'account=(a)\\1'],
    ])('refuses what RE2 cannot do in linear time (%s) as an invalid regular expression', (_what, spec) => {
      expect(() => parseTargets({ specs: [spec] })).toThrow(/^invalid regular expression in/);
    });

    it('refuses a selector over 1,024 characters, naming the limit', () => {
      const long = `account=${'a|'.repeat(520)}b`;
      expect(long.length).toBeGreaterThan(1024);
      expect(() => parseTargets({ specs: [long] })).toThrow(/^selector too long: \d+ characters, at most 1024/);
      expect(() => parseTargets({ specs: ['all'], excludes: [long] })).toThrow(SelectorError);
      expect(parseTargets({ specs: [`account=${'a'.repeat(1016)}`] }).include).toHaveLength(1);
    });
  });

  describe('matches', () => {
    const spec = (specs: string[], excludes: string[] = []) => parseTargets({ specs, excludes, namedSets: SETS });

    it.each<[string, string[], string[], Partial<SelectableRuntime>, boolean]>([
      ['all matches anything', ['all'], [], {}, true],
      ['regex is anchored: a substring does not match', ['account=1111'], [], {}, false],
      ['.*x.* matches a substring', ['account=.*aaaa.*'], [], {}, true],
      ['anchored at the end too', ['region=eu-central'], [], {}, false],
      ['alternation is anchored as a whole', ['region=eu-central-1|us-east-1'], [], { region: 'xeu-central-1' }, false],
      ['AND: both hold', ['region=eu-.*,plan=aws'], [], {}, true],
      ['AND: one fails', ['region=eu-.*,plan=azure'], [], {}, false],
      ['union: one holds', ['plan=azure', 'shoot=c-abc.*'], [], {}, true],
      ['union: none holds', ['plan=azure', 'shoot=c-x.*'], [], {}, false],
      ['exclude wins', ['all'], ['plan=aws'], {}, false],
      ['exclude of another plan', ['all'], ['plan=trial'], {}, true],
      ['case-sensitive', ['shoot=C-ABC123'], [], {}, false],
      ['plan is exact (no regex meaning)', ['plan=azure_lite'], [], { plan: 'azure_lite' }, true],
      ['runtime-id exact', ['runtime-id=rt-1'], [], {}, true],
      ['instance-id', ['instance-id=inst-.*'], [], {}, true],
      ['subaccount', ['subaccount=sub-2'], [], {}, false],
      ['named set', ['kyma-test'], [], {}, true],
      ['named set of sets', ['early'], [], { globalAccountId: KI }, true],
      ['named set excluded', ['all'], ['early'], { globalAccountId: KI }, false],
    ])('%s', (_, specs, excludes, over, expected) => {
      expect(matches(spec(specs, excludes), rt(over))).toBe(expected);
    });

    it('tells excluded from not selected', () => {
      const s = spec(['plan=aws'], ['region=eu-.*']);
      expect(evaluate(s, rt())).toBe('excluded');
      expect(evaluate(s, rt({ region: 'us-east-1' }))).toBe('included');
      expect(evaluate(s, rt({ plan: 'gcp' }))).toBe('none');
    });

    it('works on a spec that went through JSON (as stored in the journal)', () => {
      const s = JSON.parse(JSON.stringify(spec(['region=eu-.*,plan=aws']))) as ReturnType<typeof spec>;
      expect(matches(s, rt())).toBe(true);
      expect(matches(s, rt({ plan: 'gcp' }))).toBe(false);
    });
  });

  // KEB internal/broker/plans.go: names and ids; `openstack` was sap-converged-cloud's name until Dec 2023 (e0a57e82b).
  describe('plan=: a KEB plan name or plan id, any value accepted', () => {
    const SCC_ID = '03b812ac-c991-4528-b5bd-08b303523a63';
    const plan = (v: string) => parseTargets({ specs: [`plan=${v}`], namedSets: SETS });
    it.each([
      ['preview', { plan: 'preview', planId: '5cb3d976-b85c-42ea-a636-79cadda109a9' }, true],
      ['5cb3d976-b85c-42ea-a636-79cadda109a9', { plan: 'preview', planId: '5cb3d976-b85c-42ea-a636-79cadda109a9' }, true],
      ['5cb3d976-b85c-42ea-a636-79cadda109a9', { plan: 'preview' }, true],
      ['openstack', { plan: 'sap-converged-cloud', planId: SCC_ID }, true],
      ['openstack', { plan: 'sap-converged-cloud' }, true],
      ['sap-converged-cloud', { plan: 'openstack', planId: SCC_ID }, true],
      ['build-runtime-aws', { plan: 'aws', planId: '361c511f-f939-4621-b228-d0fb79a1fe15' }, false],
      ['azure.*', { plan: 'azure' }, false],
      ['azure_ha', { plan: 'azure_ha' }, true],
      ['toString', { plan: 'aws' }, false],
    ])('plan=%s against %j → %s', (value, over, expected) => {
      expect(matches(plan(value), rt(over))).toBe(expected);
    });
  });
});
