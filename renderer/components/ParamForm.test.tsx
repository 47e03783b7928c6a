import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import type { HostSummary, ParamField } from '../../electron/api/contract';
import { checkParams, initialValues, toRequestParams, type FormValue } from '../logic/params';
import { ParamForm } from './ParamForm';

afterEach(cleanup);

const hosts: HostSummary[] = [
  { name: 'controller01', address: '127.0.0.10', port: 22, user: 'ops', roles: ['controller'] },
  { name: 'compute01', address: '127.0.0.11', port: 22, user: 'ops', roles: ['compute'] },
];
const fields: ParamField[] = [
  { name: 'marker', type: 'string', required: true, secret: false, pattern: '[a-z0-9-]+' },
  { name: 'count', type: 'int', required: false, secret: false, default: 3, min: 1, max: 10 },
  { name: 'mode', type: 'enum', required: true, secret: false, values: ['fast', 'safe'] },
  { name: 'target', type: 'host', required: true, secret: false, role: 'compute' },
  { name: 'dry_run', type: 'bool', required: false, secret: false, default: true },
  { name: 'password', type: 'string', required: false, secret: true },
];

/** The form as the start screen uses it: values held above, problems from the early checks. */
function Harness({ serverProblems = {} }: { serverProblems?: Record<string, string> }) {
  const [values, setValues] = useState<Record<string, FormValue>>(() => initialValues(fields));
  const problems = { ...checkParams(fields, values, hosts), ...serverProblems };
  return <ParamForm fields={fields} values={values} problems={problems} hosts={hosts} onChange={(name, value) => setValues({ ...values, [name]: value })} />;
}

describe('ParamForm', () => {
  it('renders one input per parameter, typed by the parameter, with defaults', () => {
    render(<Harness />);
    expect(screen.getByLabelText<HTMLInputElement>(/^count/).type).toBe('number');
    expect(screen.getByLabelText<HTMLInputElement>(/^count/).value).toBe('3');
    expect(screen.getByLabelText<HTMLInputElement>(/^dry_run/).checked).toBe(true);
    expect(screen.getByLabelText<HTMLInputElement>(/^password/).type).toBe('password');
    // A host parameter offers only the hosts with its role.
    const target = screen.getByLabelText<HTMLSelectElement>(/^target/);
    expect([...target.options].map((option) => option.value)).toEqual(['', 'compute01']);
  });

  it('shows each problem next to its field as the operator types', () => {
    render(<Harness />);
    expect(screen.getByText('marker is required.')).toBeTruthy();
    fireEvent.change(screen.getByLabelText(/^marker/), { target: { value: 'Bad Name' } });
    expect(screen.getByText(/marker does not match the pattern/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText(/^marker/), { target: { value: 'good-name' } });
    expect(screen.queryByText(/marker does not/)).toBeNull();
    fireEvent.change(screen.getByLabelText(/^count/), { target: { value: '11' } });
    expect(screen.getByText('count 11 is above the maximum 10.')).toBeTruthy();
  });

  it("shows the engine's ParamError for a field in the same place", () => {
    render(<Harness serverProblems={{ target: '"compute09" is not a host of environment "lab".' }} />);
    expect(screen.getByText('target "compute09" is not a host of environment "lab".')).toBeTruthy();
  });

  it('sends typed values and leaves empty ones to the engine’s defaults', () => {
    const values = { ...initialValues(fields), marker: 'm-1', count: '7', mode: 'safe', target: 'compute01' };
    expect(toRequestParams(fields, values)).toEqual({ marker: 'm-1', count: 7, mode: 'safe', target: 'compute01', dry_run: true });
    expect(checkParams(fields, values, hosts)).toEqual({});
  });
});
