// npm run test:conformance's pure parts (scripts/conformance-lib.ts): the command line, the CI subset's focus, and the
// summary it reads back from e2e.test's JUnit report. The report below has the shape ginkgo v2.21 writes for
// e2e.test v1.33.13 (checked against a real --ginkgo.dry-run report): every spec of the suite is listed, the ones the
// focus filtered out as status="skipped" with the bare message "skipped".
import assert from 'node:assert/strict';
import {
  CI_TESTS,
  NEEDS_APISERVER_TO_POD,
  e2eArgs,
  explainFailure,
  flakedIn,
  focusFor,
  parseConformanceArgs,
  summarizeJUnit,
  summaryLine,
} from '../../../scripts/conformance-lib';

const REPORT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="6741" disabled="0" errors="0" failures="1" time="12.5">
  <testsuite name="Kubernetes e2e suite" tests="6741" skipped="6738" failures="1" time="12.5">
    <testcase name="[ReportBeforeSuite]" status="passed" time="0.0001"></testcase>
    <testcase name="[SynchronizedBeforeSuite]" status="passed" time="0.2"></testcase>
    <testcase name="[It] [sig-network] Services should serve multiport endpoints from pods [Conformance]" time="31.2"></testcase>
    <testcase name="[It] [sig-storage] In-tree Volumes [Driver: cinder] should mount" status="skipped" time="0">
      <skipped message="skipped"></skipped>
    </testcase>
    <testcase name="[It] [sig-node] Pods should get a host IP [NodeConformance] [Conformance]" status="failed" time="300.1">
      <failure message="" type="failed">[FAILED] Timed out after 300.000s.&#xA;Expected &lt;bool&gt;: false</failure>
      <system-err>log</system-err>
    </testcase>
    <testcase name="[It] [sig-network] DNS should provide DNS for the cluster [Provider:GCE]" status="skipped" time="0.01">
      <skipped message="skipped - Only supported for providers [gce gke] (not skeleton)"></skipped>
    </testcase>
    <testcase name="[SynchronizedAfterSuite]" status="passed" time="0.1"></testcase>
  </testsuite>
</testsuites>`;

describe('test:conformance: arguments, the CI subset, the JUnit summary', () => {
  it('counts the specs that ran: passed, failed (with the first line of the message), skipped at run time; not the filtered ones', () => {
    const s = summarizeJUnit(REPORT);
    assert.equal(summaryLine(s), '1 passed, 1 failed, 1 skipped');
    assert.deepEqual(
      s.cases.map((c) => [c.status, c.name, c.message]),
      [
        ['passed', '[sig-network] Services should serve multiport endpoints from pods [Conformance]', undefined],
        ['failed', '[sig-node] Pods should get a host IP [NodeConformance] [Conformance]', '[FAILED] Timed out after 300.000s.'],
        [
          'skipped',
          '[sig-network] DNS should provide DNS for the cluster [Provider:GCE]',
          'skipped - Only supported for providers [gce gke] (not skeleton)',
        ],
      ],
    );
  });

  it('counts a failed suite node ([SynchronizedBeforeSuite]) as a failure, and a report with nothing run as 0 passed', () => {
    // A failure with its message in the attribute (ginkgo's own reporter) rather than the text (e2e.test's) reads the same.
    const failedSetup = REPORT.replace(
      '<testcase name="[SynchronizedBeforeSuite]" status="passed" time="0.2"></testcase>',
      '<testcase name="[SynchronizedBeforeSuite]" status="failed" time="60"><failure message="no nodes are Ready">x</failure></testcase>',
    );
    assert.equal(summaryLine(summarizeJUnit(failedSetup)), '1 passed, 2 failed, 1 skipped');
    assert.equal(summaryLine(summarizeJUnit('<testsuites></testsuites>')), '0 passed, 0 failed, 0 skipped');
  });

  it('--ci focuses exactly the subset, each name escaped and anchored at its end', () => {
    const o = parseConformanceArgs(['--ci']);
    const re = new RegExp(o.focus);
    for (const n of CI_TESTS) assert.ok(re.test(n), n);
    // ginkgo matches the focus against the spec text; a neighbour of a subset test that only shares a prefix stays out.
    assert.ok(!re.test('[sig-network] Services should serve multiport endpoints from pods [Conformance] extra'));
    assert.ok(!re.test('[sig-storage] ConfigMap should be consumable from pods in volume with mappings [NodeConformance] [Conformance]'));
    assert.equal(focusFor(['[a] b.c']), '\\[a\\] b\\.c$');
    assert.ok(CI_TESTS.length >= 19 && CI_TESTS.filter((n) => n.endsWith('[Conformance]')).length === CI_TESTS.length - 2);
    for (const n of NEEDS_APISERVER_TO_POD) assert.ok(!re.test(n), `${n} needs the API server to reach pods: not in --ci`);
  });

  it("runs e2e.test with the skeleton provider, the focus and skip, and a 24 h suite timeout (ginkgo's 1 h default cuts the set)", () => {
    const p = { kubeconfig: '/r/kubeconfig', kubectl: '/b/kubectl', reportDir: '/r/report' };
    const full = e2eArgs(parseConformanceArgs(['--skip', '\\[Serial\\]']), p);
    assert.deepEqual(full, [
      '--provider=skeleton',
      '--kubeconfig=/r/kubeconfig',
      '--kubectl-path=/b/kubectl',
      '--report-dir=/r/report',
      '--ginkgo.focus=\\[Conformance\\]',
      '--ginkgo.skip=\\[Serial\\]',
      '--ginkgo.timeout=24h',
      '--ginkgo.no-color',
    ]);
    assert.ok(!e2eArgs(parseConformanceArgs(['--ci']), p).some((a) => a.startsWith('--ginkgo.skip')));
    // --ci retries a failed spec once (an overload blip of the shared CI machine); the full set never does.
    assert.ok(e2eArgs(parseConformanceArgs(['--ci']), p).includes('--ginkgo.flake-attempts=2'));
    assert.ok(!full.some((a) => a.startsWith('--ginkgo.flake-attempts')));
  });

  it("counts the specs that passed only on a retry from ginkgo's last line (the JUnit report does not show them)", () => {
    const tail = (line: string) => `Ran 19 of 6741 Specs in 595.755 seconds\n${line}\n--- PASS: TestE2E (597.95s)\nPASS\n`;
    assert.equal(flakedIn(tail('SUCCESS! -- 19 Passed | 0 Failed | 2 Flaked | 0 Pending | 6722 Skipped')), 2);
    assert.equal(flakedIn(tail('SUCCESS! -- 19 Passed | 0 Failed | 0 Pending | 6722 Skipped')), 0);
    assert.equal(flakedIn(tail('FAIL! -- 18 Passed | 1 Failed | 1 Flaked | 0 Pending | 6722 Skipped')), 1);
  });

  it('explains the failures README lists by their exact names, and no other', () => {
    assert.equal(
      explainFailure('[sig-network] DNS should provide DNS for the cluster [Conformance]'),
      'needs the business API server to reach pod IPs',
    );
    for (const n of NEEDS_APISERVER_TO_POD) assert.ok(explainFailure(n), n);
    // A failure outside the list (a pod that never ran here) is not excused, nor a listed name with something added.
    assert.equal(explainFailure('[sig-node] Pods should get a host IP [NodeConformance] [Conformance]'), undefined);
    assert.equal(explainFailure('[sig-network] DNS should provide DNS for the cluster [Conformance] [Slow]'), undefined);
  });

  it('defaults to every [Conformance] test; --cluster takes the meta-cluster flags (which need it); --ci and --focus exclude', () => {
    assert.deepEqual(parseConformanceArgs([]), { focus: '\\[Conformance\\]', metaArgs: [], keep: false });
    assert.deepEqual(parseConformanceArgs(['--cluster', 'prod', '-n', 'team-a', '--name', 'env1', '--focus', 'DNS', '--keep']), {
      focus: 'DNS',
      cluster: 'prod',
      metaArgs: ['--namespace', 'team-a', '--name', 'env1'],
      keep: true,
    });
    assert.throws(() => parseConformanceArgs(['-n', 'team-a']), /--namespace needs --cluster/);
    assert.throws(() => parseConformanceArgs(['--ci', '--focus', 'x']), /exclude each other/);
    assert.throws(() => parseConformanceArgs(['--bogus']), /bogus/);
  });

  it("--no-setup (the e2e's step 1 built the engine, images and e2e.test) on a running cluster", () => {
    const o = parseConformanceArgs(['--ci', '--cluster', 'sample', '--name', 'kokpit-e2e', '--no-setup', '--run-dir', '/r']);
    assert.equal(o.noSetup, true);
    assert.deepEqual(o.metaArgs, ['--name', 'kokpit-e2e']);
    assert.equal(o.runDir, '/r');
    assert.equal(parseConformanceArgs(['--ci']).noSetup, undefined);
  });

  it('--konnectivity switches the cluster the run brings up, so not with --cluster', () => {
    assert.equal(parseConformanceArgs(['--konnectivity', '--focus', 'PreStop']).konnectivity, true);
    assert.equal(parseConformanceArgs(['--focus', 'PreStop']).konnectivity, undefined);
    assert.throws(() => parseConformanceArgs(['--konnectivity', '--cluster', 'sample']), /not with --cluster/);
  });
});
