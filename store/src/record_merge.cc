#include "record_merge.h"

#include "coding.h"
#include "schema.h"
#include "sever/store/record.h"

namespace sever::detail {
namespace {

constexpr char kRevoke = 'R';

class RecordMerge : public rocksdb::MergeOperator {
 public:
  const char* Name() const override { return "sever.record.v1"; }

  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    if (in.existing_value == nullptr) return false;
    std::string_view tenant, id;
    if (!schema::split2(in.key.ToStringView(), &tenant, &id)) return false;
    Credential c;
    if (!decode_record(tenant, id, in.existing_value->ToStringView(), &c).ok()) return false;
    for (const rocksdb::Slice& op : in.operand_list) {
      coding::Reader r(op.ToStringView());
      uint8_t tag = 0;
      int64_t now = 0;
      if (!r.u8(&tag) || tag != kRevoke || !r.varint_signed(&now) || !r.done()) return false;
      if (c.state != State::revoked) {
        c.state = State::revoked;
        c.state_changed_at = now;
      }
      c.sealed.clear();
    }
    out->new_value = encode_record(c);
    return true;
  }
};

}  // namespace

std::string revoke_operand(int64_t now) {
  std::string v(1, kRevoke);
  coding::put_varint_signed(&v, now);
  return v;
}

std::shared_ptr<rocksdb::MergeOperator> make_record_merge_operator() {
  return std::make_shared<RecordMerge>();
}

}  // namespace sever::detail
