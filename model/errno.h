//! The errno values the model returns and tests (include/uapi/asm-generic/errno-base.h,
//! errno.h), as the kernel's negative returns.
#pragma once

namespace wbsim::model {

inline constexpr int kEIO = -5;
inline constexpr int kEACCES = -13;
inline constexpr int kEFAULT = -14;
inline constexpr int kEBUSY = -16;
inline constexpr int kEDEADLK = -35;
inline constexpr int kEINTR = -4;
inline constexpr int kEAGAIN = -11;
inline constexpr int kENOMEM = -12;
inline constexpr int kENOBUFS = -105;
inline constexpr int kENOSPC = -28;
inline constexpr int kEINVAL = -22;
inline constexpr int kENODATA = -61;
inline constexpr int kERESTARTSYS = -512;  // include/linux/errno.h, never seen by user space

}  // namespace wbsim::model
