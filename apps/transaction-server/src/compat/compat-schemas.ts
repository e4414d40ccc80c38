import { z } from 'zod';
import { COMPAT_STATUSES } from './compat-mapping';

/** The Spring sample's bodies and path parameters, as its unchanged clients send them. */
export const compatStatusSchema = z.enum(COMPAT_STATUSES);

export const compatParticipantSchema = z.object({
  serviceId: z.string().min(1).max(63),
  status: compatStatusSchema.default('NEW'),
});

/** The sample posts `{"id":null,"status":"NEW","participants":[]}`; a client may not choose the id. */
export const compatCreateSchema = z.object({
  id: z.null().optional(),
  status: z.literal('NEW').optional(),
  participants: z.array(compatParticipantSchema).max(100).optional(),
});
