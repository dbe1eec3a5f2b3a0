import type { FormSchema, MaterialRequirement } from '@zhengming/certificate-types';
import type { ApplicationAction, ApplicationStatus } from './application-state-machine';
import type { ClockReading } from './clock';

/** What callers see of an application. Personal data in the form is masked for everyone. */
export interface ApplicationView {
  id: string;
  referenceNo: string;
  status: ApplicationStatus;
  statusName: string;
  type: { code: string; name: string; version: number };
  committee: { code: string; name: string };
  /** `isCaller`: the one reading the view is the applicant, who alone may present the certificate. */
  applicant: { name: string; isCaller: boolean };
  form: Record<string, unknown>;
  formSchema: FormSchema;
  materialRequirements: MaterialRequirement[];
  materials: MaterialView[];
  round: number;
  supplementRequest: SupplementRequestView | null;
  /** For reviewers from the second round on: what the resident changed since the last submission. */
  changesSinceLastRound: { formFields: { field: string; title: string }[]; materials: string[] } | null;
  rejectionReason: string | null;
  timeline: TimelineEntry[];
  clock: ClockReading | null;
  /** What the caller may do now (the screens show these buttons and no others). */
  allowedActions: ViewAction[];
  createdAt: Date;
  updatedAt: Date;
  submittedAt: Date | null;
}

export type ViewAction = Exclude<ApplicationAction, 'issue' | 'revoke'> | 'edit' | 'upload';

export interface MaterialView {
  id: string;
  key: string;
  fileName: string;
  kind: 'image' | 'pdf';
  contentType: string;
  sizeBytes: number;
  round: number;
  uploadedAt: Date;
  contentUrl: string;
  /** Uploaded for the round under review (after a supplement request). */
  isNew: boolean;
}

export interface SupplementRequestView {
  round: number;
  note: string | null;
  requestedAt: Date;
  answeredAt: Date | null;
  items: { materialKey: string; materialName: string; reason: string }[];
}

export interface TimelineEntry {
  at: Date;
  action: string;
  actionName: string;
  status: ApplicationStatus;
  statusName: string;
  actor: string;
  note: string | null;
}

export interface ApplicationSummary {
  id: string;
  referenceNo: string;
  status: ApplicationStatus;
  statusName: string;
  type: { code: string; name: string };
  committee: { code: string; name: string };
  applicantName: string;
  submittedAt: Date | null;
  updatedAt: Date;
  clock: ClockReading | null;
}

export interface ApplicationPage {
  items: ApplicationSummary[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}
