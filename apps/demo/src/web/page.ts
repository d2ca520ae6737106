import { proxy, type Remote } from 'comlink';
import { DEFAULT_SETTINGS } from '../pipeline/settings.js';
import type { PipelineEvent, Report } from '../pipeline/types.js';
import { SpecEditor } from './editor.js';
import type { PlotWorkerApi } from './plot-worker-api.js';
import { byId, el, renderEquations } from './render.js';
import { ResultsView } from './results-view.js';
import type { Scenario } from './scenarios.js';
import { decodeSetup, encodeSetup, type PageBackend, type PageSetup, STEP_SETTINGS } from './setup.js';
import type { CheckResult, RunFiles, RunOutcome, RunRequest, WorkerApi } from './worker-api.js';

type Phase = 'loading' | 'idle' | 'running' | 'paused' | 'done' | 'stopped' | 'failed';

/** The page: setup on the left, results on the right, the pipeline in a worker. */
export class DemoPage {
  private setup!: PageSetup;
  private phase: Phase = 'loading';
  private runId = 0;
  private lastCheck: CheckResult | null = null;
  private checkSeq = 0;
  private lastGood: { report: Report; files: RunFiles } | null = null;
  private downloads: RunFiles | null = null;
  /** The front entry the user chose for a refit (cleared by every new run). */
  private choice: { network: string; expression: string } | null = null;
  private readonly editor = new SpecEditor(byId('spec'), byId('spec-gutter'), byId('spec-errors'));
  readonly results: ResultsView;
  private checkTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly api: Remote<WorkerApi>,
    plots: Remote<PlotWorkerApi>,
    private readonly scenarios: readonly Scenario[],
  ) {
    this.results = new ResultsView(plots);
    this.results.onChoose = (network, entry) => {
      if (this.phase === 'running' || this.phase === 'paused' || this.lastGood === null) return false;
      this.choice = { network, expression: entry.expression };
      const button = byId<HTMLButtonElement>('refit-choice');
      button.disabled = false;
      button.textContent = `Refit with ${network} ≈ ${entry.expression}`;
      this.say(`Chosen for the refit: ${network} ≈ ${entry.expression}. Press “Refit with …” to fit it.`);
      return true;
    };
  }

  /** Reads the setup from the URL, starts the worker's backend, wires the controls. */
  async start(): Promise<void> {
    const fallback = this.scenarios[0]?.id ?? '';
    try {
      this.setup = await decodeSetup(location.hash, fallback);
    } catch (e) {
      this.setup = await decodeSetup('', fallback);
      this.say(`The link could not be read: ${(e as Error).message}`, 'error');
    }
    const scenarioSelect = byId<HTMLSelectElement>('scenario');
    scenarioSelect.replaceChildren(...this.scenarios.map((s) => el('option', { value: s.id }, s.id)));
    const { available, active } = await this.api.init(this.setup.backend);
    byId<HTMLSelectElement>('backend').replaceChildren(...available.map((b) => el('option', { value: b }, b)));
    if (active !== this.setup.backend)
      this.log(`backend ${this.setup.backend} is not available here; using ${active}.`, 'warn');
    this.setup.backend = active as PageBackend;
    byId('engine').textContent = `tfjs backend in the worker: ${active}`;
    this.results.clearLive();
    this.bind();
    this.fill();
    this.setPhase('idle');
    this.say('Ready. Press Run.');
    await this.check();
  }

  private scenario(): Scenario {
    const s = this.scenarios.find((x) => x.id === this.setup.scenario) ?? this.scenarios[0];
    if (s === undefined) throw new Error('page: no bundled scenarios (apps/demo/scenarios/*/model.json + data.csv)');
    return s;
  }

  private specText(): string {
    return this.setup.spec ?? this.scenario().specText;
  }

  private csvText(): string {
    return this.setup.csv ?? this.scenario().csv;
  }

  /** Puts the setup into the form fields. */
  private fill(): void {
    byId<HTMLSelectElement>('scenario').value = this.scenario().id;
    byId('scenario-about').textContent = this.scenario().about;
    this.editor.value = this.specText();
    const base = this.baseSettings();
    for (const k of STEP_SETTINGS) byId<HTMLInputElement>(k).value = String(this.setup.steps[k] ?? base[k]);
    byId<HTMLInputElement>('budget').value = String(this.setup.budget);
    byId<HTMLInputElement>('seed').value = String(this.setup.seed);
    byId<HTMLSelectElement>('backend').value = this.setup.backend;
    byId('csv-info').textContent =
      this.setup.csv === null
        ? `The scenario's data (${this.scenario().dataName}).`
        : `Your file: ${this.setup.csvName ?? 'data.csv'}.`;
    byId('csv-reset').hidden = this.setup.csv === null;
  }

  /** The step settings a run gets without overrides: defaults, then the spec's `discovery`. */
  private baseSettings(): Record<(typeof STEP_SETTINGS)[number], number> {
    let discovery: Record<string, unknown> = {};
    try {
      const d = (JSON.parse(this.specText()) as { discovery?: unknown }).discovery;
      if (typeof d === 'object' && d !== null) discovery = d as Record<string, unknown>;
    } catch {
      // the editor shows the syntax error
    }
    const out = {} as Record<(typeof STEP_SETTINGS)[number], number>;
    for (const k of STEP_SETTINGS)
      out[k] = typeof discovery[k] === 'number' ? (discovery[k] as number) : DEFAULT_SETTINGS[k];
    return out;
  }

  private bind(): void {
    byId<HTMLSelectElement>('scenario').addEventListener('change', (e) => {
      const id = (e.target as HTMLSelectElement).value;
      this.setup = { ...this.setup, scenario: id, spec: null, csv: null, csvName: null, steps: {} };
      this.fill();
      void this.writeUrl(true);
      this.scheduleCheck(0);
    });
    this.editor.onInput((text) => {
      this.setup.spec = text === this.scenario().specText ? null : text;
      void this.writeUrl();
      this.scheduleCheck();
    });
    const fileInput = byId<HTMLInputElement>('csv');
    fileInput.addEventListener('change', () => {
      const file = fileInput.files?.[0];
      if (file) void this.loadCsv(file);
    });
    const zone = byId('dropzone');
    zone.addEventListener('dragover', (e) => {
      e.preventDefault();
      zone.classList.add('over');
    });
    zone.addEventListener('dragleave', () => zone.classList.remove('over'));
    zone.addEventListener('drop', (e) => {
      e.preventDefault();
      zone.classList.remove('over');
      const file = e.dataTransfer?.files[0];
      if (file) void this.loadCsv(file);
    });
    byId('csv-reset').addEventListener('click', () => {
      this.setup.csv = null;
      this.setup.csvName = null;
      this.fill();
      void this.writeUrl();
      this.scheduleCheck(0);
    });
    for (const k of STEP_SETTINGS) {
      byId<HTMLInputElement>(k).addEventListener('change', (e) => {
        const v = Number((e.target as HTMLInputElement).value);
        if (Number.isInteger(v) && v >= 0 && v !== this.baseSettings()[k]) this.setup.steps[k] = v;
        else delete this.setup.steps[k];
        void this.writeUrl();
      });
    }
    byId<HTMLInputElement>('budget').addEventListener('change', (e) => {
      const v = Number((e.target as HTMLInputElement).value);
      if (v > 0) this.setup.budget = v;
      void this.writeUrl();
    });
    byId<HTMLInputElement>('seed').addEventListener('change', (e) => {
      const v = Number((e.target as HTMLInputElement).value);
      if (Number.isInteger(v) && v >= 0) this.setup.seed = v;
      void this.writeUrl();
    });
    byId<HTMLSelectElement>('backend').addEventListener('change', (e) => {
      this.setup.backend = (e.target as HTMLSelectElement).value as PageBackend;
      void this.writeUrl();
    });
    byId('run').addEventListener('click', () => void this.run(false));
    byId('step').addEventListener('click', () => {
      if (this.phase === 'paused') void this.api.step();
      else if (this.phase !== 'running') void this.run(true);
    });
    byId('pause').addEventListener('click', () => {
      if (this.phase === 'running') {
        void this.api.pause();
        this.setPhase('paused');
        this.say('Paused. Step moves one optimisation step; Pause again resumes.');
      } else if (this.phase === 'paused') {
        void this.api.resume();
        this.setPhase('running');
      }
    });
    byId('stop').addEventListener('click', () => {
      void this.api.stop();
      this.say('Stopping at the next step…');
    });
    byId('reset').addEventListener('click', () => this.reset());
    byId('refit-choice').addEventListener('click', () => void this.refitWithChoice());
    window.addEventListener('popstate', () => void this.reloadFromUrl());
    window.addEventListener('hashchange', () => void this.reloadFromUrl());
    byId('dl-report-json').addEventListener('click', () =>
      this.download('reportJson', 'report.json', 'application/json'),
    );
    byId('dl-report-html').addEventListener('click', () => this.download('reportHtml', 'report.html', 'text/html'));
    byId('dl-model-json').addEventListener('click', () => this.download('modelJson', 'model.json', 'application/json'));
    byId('permalink').addEventListener('click', () => {
      void navigator.clipboard?.writeText(location.href).then(
        () => this.say('Link copied.'),
        () => this.say('The address bar holds the link.'),
      );
    });
  }

  private async reloadFromUrl(): Promise<void> {
    if ((await encodeSetup(this.setup)) === location.hash) return;
    try {
      this.setup = await decodeSetup(location.hash, this.scenario().id);
      this.fill();
      this.scheduleCheck(0);
    } catch (e) {
      this.say(`The link could not be read: ${(e as Error).message}`, 'error');
    }
  }

  private async writeUrl(push = false): Promise<void> {
    const hash = await encodeSetup(this.setup);
    if (hash === location.hash) return;
    if (push) history.pushState(null, '', hash);
    else history.replaceState(null, '', hash);
  }

  private async loadCsv(file: File): Promise<void> {
    const text = await file.text();
    this.setup.csv = text;
    this.setup.csvName = file.name;
    this.fill();
    void this.writeUrl();
    await this.check();
  }

  private scheduleCheck(delay = 250): void {
    if (this.checkTimer !== null) clearTimeout(this.checkTimer);
    this.checkTimer = setTimeout(() => {
      this.checkTimer = null;
      void this.check();
    }, delay);
  }

  /** Validates spec and data in the worker and shows the problems at their lines. */
  private async check(): Promise<CheckResult> {
    const seq = ++this.checkSeq;
    const result = await this.api.check(this.specText(), this.csvText());
    if (seq === this.checkSeq) {
      this.lastCheck = result;
      this.editor.setIssues(result.specIssues);
      byId('csv-errors').replaceChildren(...result.csvIssues.map((i) => el('li', {}, i.message)));
      if (result.dataSummary !== null)
        byId('csv-info').textContent = `${this.setup.csvName ?? this.scenario().dataName}: ${result.dataSummary}.`;
      if (Object.keys(result.equationsLatex).length > 0) renderEquations(byId('eq-before'), result.equationsLatex);
      if (result.observed.length > 0 && (this.phase === 'idle' || this.phase === 'loading'))
        this.results.setObserved(result.observed);
    }
    return result;
  }

  /** Runs the pipeline again (same setup and seed) with the chosen front entry refit in place of its network. */
  private async refitWithChoice(): Promise<void> {
    if (this.choice === null || this.lastGood === null) return;
    await this.run(false, this.choice);
  }

  private request(startPaused: boolean): RunRequest {
    return {
      specText: this.specText(),
      csv: this.csvText(),
      dataName: this.setup.csvName ?? this.scenario().dataName,
      seed: this.setup.seed,
      budget: this.setup.budget,
      settings: { ...this.setup.steps },
      backend: this.setup.backend,
      startPaused,
    };
  }

  /** Runs the pipeline on the current setup; nothing from an earlier run is reused. */
  async run(startPaused: boolean, choice?: { network: string; expression: string }): Promise<RunOutcome | null> {
    if (this.phase === 'running' || this.phase === 'paused' || this.phase === 'loading') return null;
    const check = await this.check();
    const issue = check.specIssues[0] ?? check.csvIssues[0];
    if (issue !== undefined) {
      this.say(`Not run: ${issue.message} The last result stays on screen.`, 'error');
      return null;
    }
    const id = ++this.runId;
    // which run the phase belongs to: a test (or a script) that clicks Run again after a finished
    // run waits for this number to change, not for a 'done' that is still the last run's
    document.body.dataset.run = String(id);
    let cleared = false;
    this.choice = null;
    const refitButton = byId<HTMLButtonElement>('refit-choice');
    refitButton.disabled = true;
    refitButton.textContent = 'Refit with the chosen expression';
    this.setPhase(startPaused ? 'paused' : 'running');
    this.say(startPaused ? 'Starting, paused at the first step…' : 'Starting…');
    byId('log').replaceChildren();
    const onEvents = proxy((events: PipelineEvent[]) => {
      if (id !== this.runId) return;
      if (!cleared) {
        // the old result goes only once the new run really starts (bad input keeps it on screen)
        cleared = true;
        this.results.clearLive();
        if (check.observed.length > 0) this.results.setObserved(check.observed);
      }
      this.results.handle(events);
      for (const e of events) this.narrate(e);
    });
    const request = this.request(startPaused);
    // user-timing marks around the worker's run: DevTools (and the browser test's trace) show the training window
    performance.mark('odekit:training-start');
    const outcome = await this.api.run(
      choice === undefined ? request : { ...request, choose: { [choice.network]: choice.expression } },
      onEvents,
    );
    performance.mark('odekit:training-end');
    if (id !== this.runId) return outcome;
    if (outcome.status === 'done') {
      this.lastGood = { report: outcome.report, files: outcome.files };
      this.offerDownloads(outcome.files);
      await this.results.showReport(outcome.report);
      this.setPhase('done');
      this.say(
        `Finished in ${outcome.seconds.toFixed(1)} s${choice ? ` (refit with ${choice.network} ≈ ${choice.expression})` : ''}.`,
        'done',
      );
      await this.results.showFigures(outcome.figures, byId('figures'));
    } else if (outcome.status === 'stopped') {
      this.setPhase('stopped');
      this.say(
        `Stopped after ${outcome.seconds.toFixed(1)} s; the plots show the state at the stop${this.lastGood ? ', the downloads the last finished run' : ''}.`,
      );
    } else {
      this.setPhase('failed');
      this.say(`${outcome.userError ? '' : 'Failed: '}${outcome.message}`, 'error');
      if (outcome.userError) {
        const target = /^(data|csv)\b/i.test(outcome.message) ? byId('csv-errors') : byId('spec-errors');
        target.append(el('li', {}, outcome.message));
      }
    }
    return outcome;
  }

  private narrate(e: PipelineEvent): void {
    if (e.type === 'stage-start') this.say(`Running ${e.stage}: ${e.detail}`);
    else if (e.type === 'step') byId<HTMLProgressElement>('progress').value = e.fraction;
    else if (e.type === 'stage-end')
      this.log(`${e.stage}: ${e.message || e.stopReason} (${e.seconds.toFixed(1)} s)`, 'info');
    else if (e.type === 'log') this.log(e.message, e.level);
  }

  /** Stops any run and clears every result (the setup stays). */
  reset(): void {
    if (this.phase === 'running' || this.phase === 'paused') void this.api.stop();
    this.runId++;
    this.lastGood = null;
    this.offerDownloads(null);
    this.results.clearLive();
    if (this.lastCheck !== null) this.results.setObserved(this.lastCheck.observed);
    byId('eq-after').replaceChildren(el('p', { class: 'hint' }, 'Run the pipeline to see them.'));
    byId('parameters').replaceChildren(el('p', { class: 'hint' }, 'Filled in when a run finishes.'));
    byId('figures').replaceChildren(el('p', { class: 'hint' }, 'The figures of report.html, once a run finishes.'));
    byId('log').replaceChildren();
    byId<HTMLProgressElement>('progress').value = 0;
    this.setPhase('idle');
    this.say('Reset. Press Run.');
  }

  private offerDownloads(files: RunFiles | null): void {
    this.downloads = files;
    for (const id of ['dl-report-json', 'dl-report-html', 'dl-model-json'])
      byId<HTMLButtonElement>(id).disabled = files === null;
  }

  /** Saves one of the last finished run's files (a blob URL clicked through a transient link). */
  private download(key: keyof RunFiles, name: string, type: string): void {
    if (this.downloads === null) return;
    const url = URL.createObjectURL(new Blob([this.downloads[key]], { type }));
    const a = el('a', { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  private setPhase(phase: Phase): void {
    this.phase = phase;
    const active = phase === 'running' || phase === 'paused';
    byId<HTMLButtonElement>('run').disabled = active || phase === 'loading';
    byId<HTMLButtonElement>('pause').disabled = !active;
    byId('pause').textContent = phase === 'paused' ? 'Resume' : 'Pause';
    byId<HTMLButtonElement>('step').disabled = phase === 'running' || phase === 'loading';
    byId<HTMLButtonElement>('stop').disabled = !active;
    document.body.dataset.phase = phase;
  }

  private say(text: string, kind: 'info' | 'error' | 'done' = 'info'): void {
    const status = byId('status');
    status.textContent = text;
    status.className = `status ${kind === 'info' ? '' : kind}`;
  }

  private log(text: string, level: 'info' | 'warn'): void {
    byId('log').append(el('li', { class: level }, text));
  }

  /** What the page shows now (for tests and the console). */
  state(): { phase: Phase; hasResult: boolean } {
    return { phase: this.phase, hasResult: this.lastGood !== null };
  }
}
