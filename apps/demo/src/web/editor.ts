import { el } from './render.js';
import type { InputIssue } from './worker-api.js';

/**
 * The spec editor: a plain textarea (native keyboard, undo, screen readers) with a line-number
 * gutter that marks lines holding errors, and a list of the errors whose entries move the caret
 * to their line and column.
 */
export class SpecEditor {
  private issueLines = new Set<number>();

  constructor(
    private readonly textarea: HTMLTextAreaElement,
    private readonly gutter: HTMLElement,
    private readonly list: HTMLElement,
  ) {
    textarea.addEventListener('input', () => this.drawGutter());
    textarea.addEventListener('scroll', () => {
      this.gutter.scrollTop = this.textarea.scrollTop;
    });
    textarea.addEventListener('keydown', (e) => {
      // Tab indents inside the editor; Escape then Tab leaves it (keyboard users are not trapped)
      if (e.key === 'Tab' && !e.shiftKey && this.tabIndents) {
        e.preventDefault();
        textarea.setRangeText('  ', textarea.selectionStart, textarea.selectionEnd, 'end');
        textarea.dispatchEvent(new Event('input', { bubbles: true }));
      } else if (e.key === 'Escape') {
        this.tabIndents = false;
      }
    });
    textarea.addEventListener('focus', () => {
      this.tabIndents = true;
    });
    this.drawGutter();
  }

  private tabIndents = true;

  get value(): string {
    return this.textarea.value;
  }

  set value(text: string) {
    this.textarea.value = text;
    this.drawGutter();
  }

  /** Calls `handler` after each edit. */
  onInput(handler: (text: string) => void): void {
    this.textarea.addEventListener('input', () => handler(this.textarea.value));
  }

  /** Shows `issues`: marked lines in the gutter, one entry per issue below the editor. */
  setIssues(issues: readonly InputIssue[]): void {
    this.issueLines = new Set(issues.flatMap((i) => (i.line === undefined ? [] : [i.line])));
    this.textarea.setAttribute('aria-invalid', String(issues.length > 0));
    this.textarea.parentElement?.classList.toggle('invalid', issues.length > 0);
    this.list.replaceChildren(
      ...issues.map((issue) => {
        if (issue.line === undefined) return el('li', {}, issue.message);
        const go = el('button', { type: 'button' }, issue.message);
        go.addEventListener('click', () => this.moveTo(issue.line as number, issue.column ?? 1));
        return el('li', {}, go);
      }),
    );
    this.drawGutter();
  }

  /** Puts the caret at 1-based `line`, `column` and focuses the editor. */
  moveTo(line: number, column: number): void {
    const lines = this.textarea.value.split('\n');
    let offset = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) offset += (lines[i] as string).length + 1;
    offset += Math.max(0, Math.min(column - 1, (lines[line - 1] ?? '').length));
    this.textarea.focus();
    this.textarea.setSelectionRange(offset, offset);
  }

  private drawGutter(): void {
    const count = this.textarea.value.split('\n').length;
    const nodes: (Node | string)[] = [];
    for (let n = 1; n <= count; n++) {
      if (this.issueLines.has(n)) nodes.push(el('span', { class: 'bad', title: 'this line has an error' }, String(n)));
      else nodes.push(`${n}\n`);
    }
    this.gutter.replaceChildren(...nodes);
    this.gutter.scrollTop = this.textarea.scrollTop;
  }
}
